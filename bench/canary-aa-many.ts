// Identical canaries on the real judge, several per stack (issue 24: 0 false fails in 100, the
// figure of record). bench/canary-real.ts releases each canary with two `pulumi up`s (about
// 2.5 min a canary); this bench keeps one throwaway stack of the local default (three webshop
// servers on v1, HAProxy, PostgreSQL) under load and, for each canary, does what a release's
// canary step does to the fleet without the engine around it:
//   - web-1 is drained once, at the start: each canary takes its place, as a canary of web-1 does
//     (two warm servers, the canary, and the canary's fresh baseline serve while it bakes);
//   - the canary is a fresh process of v1 under another name (v1+aa<n>: the same code and SQL,
//     every fail is a false failure), started with the servers' own command and environment,
//     added to HAProxy at run time and waited for until HAProxy sees it UP (a reattach);
//   - it is judged by the provider's own judgement (provider/canary/judgement.ts bakeAndJudge:
//     the fresh baseline, HAProxy's log and the servers' logs read live, the report written),
//     with the stack's bakeSeconds;
//   - then it is drained, removed from HAProxy and stopped, and the next one starts.
// What it leaves out of a release: the engine's `up`s and the Pulumi state (measured elsewhere:
// bench/canary-real.ts runs the whole release). Loads: "demo" (src/load/traffic.ts, 200
// requests/s, GET /products and POST /orders, 8 connections), "pages" (GET /products and
// /slow?ms=1500 in turn, 64 connections, 100 requests/s offered).
// Each canary's result is appended, with the commit, to bench/results/identical-canaries.tsv;
// the bench prints the file's totals at the end (and on SIGINT/SIGTERM, after the canary at hand).
//   npx ts-node --transpile-only bench/canary-aa-many.ts [--runs 50] [--bake 60] [--load demo|pages] [--until 06:25]
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { appLogFile, checkSettings } from "../targets/local/environment";
import { drain, reattach } from "../provider/haproxy/member";
import { bakeAndJudge } from "../provider/canary/judgement";
import { freshServerName } from "../contract/tokens";
import { startProcess, stopProcess } from "../targets/local/provider/process";
import { applicationName } from "../src/migrations/statement-log";
import { projectRoot } from "../src/engine";
import { HaproxyRuntime } from "../src/haproxy/runtime";
import { startLoad } from "../src/load/traffic";
import { startArgv } from "../src/release/app-config";
import { runStage } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { freePort, freePortRange } from "../test/support/ports";
import { throwawayStack } from "./throwaway-stack";

const opts = new Command("canary-aa-many")
    .option("--runs <n>", "identical canaries to judge (at most)", "50")
    .option("--bake <s>", "bakeSeconds", "60")
    .option("--load <kind>", "demo (the shop mix, 200 requests/s) or pages (GET /products and /slow?ms=1500, 100 requests/s)", "demo")
    .option("--until <hh:mm>", "start no canary after this UTC time (each takes up to bake + 30 s)")
    .option("--results <file>", "the results file (appended)", path.join(projectRoot, "bench/results/identical-canaries.tsv"))
    .parse()
    .opts();
const runs = Number(opts.runs);
const bake = Number(opts.bake);
const servers = ["web-1", "web-2", "web-3"];
const warm = ["web-2", "web-3"];
const header = "time\tcommit\tload\tcanary\tversion\tverdict\tfailed checks\tdecided after (canary requests)\tseconds\tcanary requests\tfresh baseline requests\tload average (1 min)\tcanary wretr/wredis/econ/eresp (HAProxy)";

function commit(): string {
    const head = execFileSync("git", ["rev-parse", "--short=10", "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "provider", "components", "bench", "app", ":!bench/results"], { cwd: projectRoot, encoding: "utf8" }).trim();
    return dirty ? `${head}+changes` : head;
}

function deadline(): number {
    if (!opts.until) {
        return Infinity;
    }
    const [h, m] = String(opts.until).split(":").map(Number);
    const d = new Date();
    d.setUTCHours(h, m, 0, 0);
    return d.getTime();
}

/** The results file's totals: every canary it holds, by verdict, and the fails. */
function totals(file: string): string {
    const rows = fs.readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
    const by = (v: string) => rows.filter((r) => r[5] === v).length;
    const fails = rows.filter((r) => r[5] === "fail").map((r) => `${r[0]} ${r[4]} (${r[6]})`);
    // rows since session 11 carry the canary's HAProxy counters (wretr/wredis/econ/eresp)
    const counted = rows.filter((r) => r[12] !== undefined);
    const nonzero = counted.filter((r) => r[12] !== "0/0/0/0").map((r) => `${r[3]} ${r[12]}`);
    return `${file}: ${rows.length} identical canaries: ${by("fail")} failed, ${by("pass")} passed, ${by("inconclusive")} inconclusive${fails.length ? `; fails: ${fails.join("; ")}` : ""}; HAProxy counters read on ${counted.length}: ${nonzero.length === 0 ? "all 0" : `not 0 on ${nonzero.join(", ")}`}`;
}

async function main(): Promise<void> {
    const results = String(opts.results);
    fs.mkdirSync(path.dirname(results), { recursive: true });
    if (!fs.existsSync(results)) {
        fs.writeFileSync(results, `${header}\n`);
    }
    const rev = commit();
    const until = deadline();
    let stopping = false;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            console.log(`${signal}: stopping after the canary at hand`);
            stopping = true;
        });
    }
    const { stack, localDir, close } = await throwawayStack("bench-canary-aa-many");
    let load: ReturnType<typeof startLoad> | undefined;
    try {
        const lbPort = await freePort();
        const dbPort = await freePort();
        const app = localStackApp(projectRoot);
        // prometheusPort: Prometheus and its two exporters off the default 9090-9092, which another stack may hold
        const up = await runStage(stack, {
            name: "v1 on three servers",
            config: { ...app, servers, lbPort: String(lbPort), appBasePort: String(await freePortRange(servers.length)), dbPort: String(dbPort), prometheusPort: String(await freePortRange(3)), stableVersion: "v1", releaseVersion: "", canaryCount: "0", healthCheckIntervalMs: "250", drainTimeoutSeconds: "5", healthTimeoutSeconds: "30", bakeSeconds: String(bake) },
        });
        if (!up.ok) {
            throw new Error(up.error);
        }
        const pages = opts.load === "pages";
        load = startLoad(`http://127.0.0.1:${lbPort}`, { rate: pages ? 100 : 200, connections: pages ? 64 : 8, maxSeconds: runs * (bake + 60) + 120, ...(pages ? { paths: ["/products", "/slow?ms=1500"] } : {}) });
        await new Promise((r) => setTimeout(r, 20_000)); // the stable servers warm, as in a fleet that has run for a while
        const runtimeApi = path.join(localDir, "haproxy.sock");
        const backend = String(app.appName);
        const check = checkSettings({ healthCheckIntervalMs: 250 });
        const startCommand = app.startCommand as string[];
        const healthCheckPath = String(app.healthCheckPath);
        const stopTimeoutMs = Number(app.stopGraceSeconds) * 1000;
        const password = (await stack.getConfig("zdr:dbPassword")).value;
        const dbEnv = (version: string) => ({ PGHOST: "127.0.0.1", PGPORT: String(dbPort), PGUSER: String(app.dbUser), PGDATABASE: String(app.dbName), PGPASSWORD: password, PGAPPNAME: applicationName(version).slice(0, 63) });
        const member = (server: string, version: string) => ({ runtimeApi, backend, server, version, healthTimeoutMs: 30_000, drainTimeoutMs: 5_000 });
        const runtime = new HaproxyRuntime(runtimeApi);
        await drain(member("web-1", "v1")); // the canaries' slot
        for (let k = 1; k <= runs && !stopping && Date.now() < until; k++) {
            const canary = `canary-${k}`;
            const version = `v1+aa${k}`;
            const port = await freePort();
            const logFile = appLogFile(localDir, canary);
            const proc = await startProcess({
                command: startArgv(startCommand, version, port),
                cwd: projectRoot,
                env: { PORT: String(port), APP_VERSION: version, ...dbEnv(version) },
                logFile,
                label: `identical canary ${canary} (${version})`,
                healthUrl: `http://127.0.0.1:${port}${healthCheckPath}`,
                healthTimeoutMs: 30_000,
            });
            try {
                await runtime.addServer(backend, canary, `127.0.0.1:${port}`, check);
                await reattach(member(canary, version));
                const j = await bakeAndJudge({
                    canary,
                    version,
                    deployment: `${process.pid}-${k}`,
                    baseline: warm,
                    bakeSeconds: bake,
                    requestLog: path.join(localDir, "haproxy.log"),
                    appLogs: Object.fromEntries([canary, ...warm].map((s) => [s, appLogFile(localDir, s)])),
                    leaveOutOnFail: { runtimeApi, backend },
                    freshBaseline: { startCommand, version: "v1", cwd: projectRoot, env: dbEnv("v1"), healthCheckPath, logFile: appLogFile(localDir, freshServerName(canary)), runtimeApi, backend, check, stopTimeoutMs },
                    accepted: false,
                    reportFile: path.join(localDir, "judgements", `${canary}-${version}.json`),
                });
                const failed = j.checks.filter((c) => c.verdict === "fail").map((c) => c.name).join(", ");
                // HAProxy's own count of what it hid or lost on the canary (retries, redispatches, connection and response errors), read while it is still in the backend
                const stat = await runtime.serverStat(backend, canary);
                const counters = [stat.wretr, stat.wredis, stat.econ, stat.eresp].join("/");
                const row = [new Date().toISOString(), rev, opts.load, canary, version, j.verdict, failed || "-", j.decidedAfter, ((j.to - j.from) / 1000).toFixed(1), j.counts.canary, j.counts.fresh ?? (j.freshBaseline?.error ? `none: ${j.freshBaseline.error.slice(0, 80)}` : "-"), os.loadavg()[0].toFixed(1), counters];
                fs.appendFileSync(results, `${row.join("\t")}\n`);
                console.log(row.join("  "));
                if (j.verdict === "fail") {
                    // keep the evidence of a false fail: the judgement and HAProxy's log
                    const keep = path.join(projectRoot, ".zdr", `canary-aa-many-${process.pid}`);
                    fs.mkdirSync(keep, { recursive: true });
                    for (const f of fs.readdirSync(path.join(localDir, "judgements")).filter((x) => x.startsWith(`${canary}-`))) {
                        fs.copyFileSync(path.join(localDir, "judgements", f), path.join(keep, f));
                    }
                    fs.copyFileSync(path.join(localDir, "haproxy.log"), path.join(keep, `haproxy-${canary}.log`));
                }
            } finally {
                await drain(member(canary, version)).catch(() => undefined);
                await runtime.delServer(backend, canary).catch((e) => console.error(`could not remove ${canary}: ${e.message}`));
                await stopProcess(proc.pid, proc.startTicks, stopTimeoutMs);
            }
        }
        const traffic = await load.stop();
        load = undefined;
        console.log(`load: ${traffic.requests} requests, ${traffic.failed} failed`);
        // the stable servers' counters over the whole run (each canary's are in its row)
        for (const st of await runtime.serverStats(backend)) {
            console.log(`HAProxy ${st.server}: ${st.stot} sessions, retries ${st.wretr}, redispatches ${st.wredis}, connection errors ${st.econ}, response errors ${st.eresp}`);
        }
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
    } finally {
        await load?.stop();
        await close();
        console.log(totals(results));
    }
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
