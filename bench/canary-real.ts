// Canaries on the real engine and the local default (issue 24): a throwaway stack of three
// webshop servers on v1 behind HAProxy, under load, releases a canary (web-1) on a variant of v1
// again and again and counts the verdicts; each run is rolled back (canaryCount 0) before the next.
// The variants are versions of the sample app by configuration (app/webshop/server.js):
//   aa         v1+aa<run>: v1's code and SQL under another name (an identical canary: every
//              "fail" is a false failure)
//   slow30     v1+slow30: every route answers 30% later;  slow100: twice as late
//   err3       v1+err3: 3% of requests fail with a new error
//   logerr0.5  v1+logerr0.5: 0.5% of requests write a new error line (all succeed)
// The loads: "demo" is the demo's own (src/load/traffic.ts: 200 requests/s, GET /products and
// POST /orders); "pages" GETs /products and /slow?ms=1500 in turn (mixed pages, half of them 1.5 s).
// Each run prints the judgement the release made (after: the canary against its fresh baseline,
// see docs/canary.md) and the same window of HAProxy's log judged again as the judge before this
// change did (before: against the warm stable servers, one route for all, the fresh baseline's
// requests left out), with the latency ratios of the window (geometric means of successful
// requests: canary / fresh baseline and canary / warm servers) and the machine's load average.
//   npx ts-node --transpile-only bench/canary-real.ts [--variant aa] [--runs 10] [--bake 60] [--load demo] [--rate 200]
//   npx ts-node --transpile-only bench/canary-real.ts --rejudge .zdr/canary-real-<pid>   (the kept windows judged again by today's judge)
// HAProxy's log and each run's window are kept in .zdr/canary-real-<pid>/ (log.txt, runs.json), so
// that a later judge can be measured on the same traffic (--rejudge; without the app's log lines).
// Unattended: --runs 100 takes about 100 x (two `up`s + the bake); it prints each run as it ends
// and the summary at the end (also on Ctrl-C).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { CanaryJudge, Judgement } from "../src/canary/judge";
import { followRequests, LoggedRequest, readFrom } from "../src/canary/evidence";
import { projectRoot } from "../src/engine";
import { startLoad } from "../src/load/traffic";
import { runStage } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { freePort, freePortRange } from "../test/support/ports";
import { throwawayStack } from "./throwaway-stack";

const opts = new Command("canary-real")
    .option("--variant <tag>", "aa, slow30, slow100, err3, logerr0.5 (any tag of app/webshop/server.js)", "aa")
    .option("--runs <n>", "canaries to release", "10")
    .option("--bake <s>", "bakeSeconds", "60")
    .option("--load <kind>", "demo (the shop mix) or pages (GET /products and /slow?ms=1500)", "demo")
    .option("--rate <n>", "requests per second over the fleet", "200")
    .option("--rejudge <dir>", "judge the windows kept in dir again (no stack)")
    .parse()
    .opts();
const runs = Number(opts.runs);
const bake = Number(opts.bake);
const rate = Number(opts.rate);
const servers = ["web-1", "web-2", "web-3"];

/** A run's window, kept for --rejudge. */
interface Kept {
    readonly run: number;
    readonly version: string;
    readonly from: number;
    readonly to: number;
    /** The whole bake's end: the judge before's window. */
    readonly bakeTo: number;
    readonly fresh: string;
    readonly live: string;
}

interface Run {
    readonly run: number;
    readonly after: string;
    readonly afterChecks: string;
    readonly afterDecided: number;
    readonly afterSeconds: number;
    readonly before: string;
    readonly beforeChecks: string;
    readonly beforeDecided: number;
    readonly freshRatio: number;
    readonly warmRatio: number;
    readonly load: number;
    readonly fresh: string;
}

const done: Run[] = [];
const kept: Kept[] = [];
const keptDir = path.join(projectRoot, ".zdr", `canary-real-${process.pid}`);

/** The canary's window judged by today's judge: against its fresh baseline per route (after), and as before. */
function judgeWindow(log: string, w: Pick<Kept, "from" | "to" | "fresh">): { after: Judgement; before: Judgement; requests: LoggedRequest[] } {
    const requests = window(log, w.from, w.to);
    const warm = ["web-2", "web-3"];
    const threshold = tailThreshold(log, w.from, warm);
    const tail = threshold !== undefined ? { tailThresholdMs: threshold } : {};
    const old = new CanaryJudge({ intervals: false, ...tail });
    const now = new CanaryJudge({ intervals: false, ...tail, ...(w.fresh ? { freshBaseline: true } : {}) });
    for (const r of requests) {
        const group = r.server === "web-1" ? "canary" : warm.includes(r.server) ? "baseline" : r.server === w.fresh ? "fresh" : undefined;
        if (!group) {
            continue;
        }
        if (!now.decision) {
            now.add(group, r.t, r);
        }
        if (group !== "fresh" && !old.decision) {
            const { route: _route, ...unrouted } = r;
            old.add(group, r.t, unrouted);
        }
    }
    return { after: now.judgement(true), before: old.judgement(true), requests };
}

function rejudge(dir: string): void {
    const runs = JSON.parse(fs.readFileSync(path.join(dir, "runs.json"), "utf8")) as Kept[];
    const log = path.join(dir, "log.txt");
    const tally: Record<string, number> = {};
    for (const w of runs) {
        const { after } = judgeWindow(log, w);
        const { before } = judgeWindow(log, { from: w.from, to: w.bakeTo, fresh: "" });
        const key = `live ${w.live} | after ${after.verdict} | before ${before.verdict}`;
        tally[key] = (tally[key] ?? 0) + 1;
        console.log(`run ${w.run} ${w.version}: live ${w.live}; after ${after.verdict}${after.toPass?.length ? ` [to pass: ${after.toPass.map((x) => `${x.check} ${x.moreCanaryRequests ?? "?"}`).join(", ")}]` : ""}${after.verdict === "fail" ? ` (${failedChecks(after)})` : ""} after ${after.decidedAfter}; before ${before.verdict}${before.verdict === "fail" ? ` (${failedChecks(before)})` : ""} after ${before.decidedAfter}`);
    }
    console.log(`
${runs.length} windows:`);
    for (const [k, n] of Object.entries(tally).sort()) {
        console.log(`  ${n}  ${k}`);
    }
}

function keep(log: string): void {
    fs.mkdirSync(keptDir, { recursive: true });
    fs.writeFileSync(path.join(keptDir, "runs.json"), `${JSON.stringify(kept, null, 1)}\n`);
    if (fs.existsSync(log)) {
        fs.copyFileSync(log, path.join(keptDir, "log.txt"));
    }
}

/** Geometric mean of successful requests' latency (ms, at least 0.5). */
function geoMean(xs: readonly LoggedRequest[]): number {
    const ok = xs.filter((r) => r.status >= 200 && r.status < 300);
    return Math.exp(ok.reduce((s, r) => s + Math.log(Math.max(0.5, r.latencyMs)), 0) / Math.max(1, ok.length));
}

/** The baseline's p99 over the minute before `from` (as src/canary/live.ts fixes the tail threshold). */
function tailThreshold(log: string, from: number, baseline: readonly string[]): number | undefined {
    const before: number[] = [];
    followRequests(log, from - 60_000).read((f, offset) =>
        readFrom(f, offset, (r) => {
            if (r.t >= from - 60_000 && r.t < from && baseline.includes(r.server) && r.status >= 200 && r.status < 300) {
                before.push(r.latencyMs);
            }
            return r.t < from;
        }),
    );
    return before.length >= 300 ? before.sort((a, b) => a - b)[Math.floor(before.length * 0.99)] : undefined;
}

function window(log: string, from: number, to: number): LoggedRequest[] {
    const out: LoggedRequest[] = [];
    followRequests(log, from).read((f, offset) =>
        readFrom(f, offset, (r) => {
            if (r.t >= from && r.t <= to) {
                out.push(r);
            }
        }),
    );
    return out.sort((a, b) => a.t - b.t);
}

const failedChecks = (j: Pick<Judgement, "checks">) => j.checks.filter((c) => c.verdict === "fail").map((c) => c.name.slice(0, 40)).join(", ");

function summary(): void {
    const count = (f: (r: Run) => boolean) => done.filter(f).length;
    const n = done.length;
    const line = (name: string, key: "after" | "before") =>
        `${name.padEnd(52)} fail ${count((r) => r[key] === "fail")}/${n}, pass ${count((r) => r[key] === "pass")}/${n}, inconclusive ${count((r) => r[key] === "inconclusive")}/${n}`;
    const decided = (key: "afterDecided" | "beforeDecided", verdict: "after" | "before") => {
        const xs = done.filter((r) => r[verdict] !== "inconclusive").map((r) => r[key]).sort((a, b) => a - b);
        return xs.length ? `median ${xs[Math.floor(xs.length / 2)]} canary requests` : "-";
    };
    console.log(`\n${opts.variant} canaries, load ${opts.load} at ${rate} requests/s, ${bake} s bake, ${n} runs`);
    console.log(`${line("after (against the fresh baseline, per route)", "after")}; decided: ${decided("afterDecided", "after")}`);
    console.log(`${line("before (against the warm servers, one route)", "before")}; decided: ${decided("beforeDecided", "before")}`);
    const loads = done.map((r) => r.load).sort((a, b) => a - b);
    if (loads.length) {
        console.log(`machine load average (1 min) at the runs' ends: ${loads[0].toFixed(1)}-${loads[loads.length - 1].toFixed(1)}, median ${loads[Math.floor(loads.length / 2)].toFixed(1)}`);
    }
}

async function main(): Promise<void> {
    const { stack, localDir, close } = await throwawayStack("bench-canary-real");
    let load: ReturnType<typeof startLoad> | undefined;
    process.once("SIGINT", () => {
        summary();
        keep(path.join(localDir, "haproxy.log"));
        void load?.stop().finally(() => void close().finally(() => process.exit(130)));
    });
    try {
        const lbPort = await freePort();
        const up = await runStage(stack, {
            name: "v1 on three servers",
            config: {
                ...localStackApp(projectRoot),
                servers,
                lbPort: String(lbPort),
                appBasePort: String(await freePortRange(servers.length)),
                dbPort: String(await freePort()),
                // Prometheus and its two exporters: not the default 9090-9092, which another stack may hold
                prometheusPort: String(await freePortRange(3)),
                stableVersion: "v1",
                releaseVersion: "",
                canaryCount: "0",
                schemaVersions: ["v1=1", "v2=2", "v3=3", "broken=2", "faulty=2", "logfault=2", ...Array.from({ length: runs }, (_, k) => `v1+${variantTag(k + 1)}=1`)],
                healthCheckIntervalMs: "250",
                drainTimeoutSeconds: "5",
                healthTimeoutSeconds: "30",
                bakeSeconds: String(bake),
            },
        });
        if (!up.ok) {
            throw new Error(up.error);
        }
        const paths = opts.load === "pages" ? ["/products", "/slow?ms=1500"] : undefined;
        load = startLoad(`http://127.0.0.1:${lbPort}`, { rate, connections: opts.load === "pages" ? 64 : 8, maxSeconds: runs * (bake + 240) + 120, ...(paths ? { paths } : {}) });
        await new Promise((r) => setTimeout(r, 20_000)); // the stable servers warm, as in a fleet that has run for a while
        const log = path.join(localDir, "haproxy.log");
        for (let k = 1; k <= runs; k++) {
            const version = `v1+${variantTag(k)}`;
            const release = await runStage(stack, { name: `canary ${version}`, config: { releaseVersion: version, canaryCount: "1" } });
            const file = path.join(localDir, "judgements", `web-1-${version}.json`);
            if (!fs.existsSync(file)) {
                console.log(`run ${k}: no judgement written (${release.ok ? "up ok" : release.error?.slice(0, 400)})`);
            } else {
                const j = JSON.parse(fs.readFileSync(file, "utf8")) as Judgement & { from: number; to: number; freshBaseline?: { server: string; error?: string } };
                const fresh = j.freshBaseline?.server ?? "";
                const warm = ["web-2", "web-3"];
                // the judge before would have baked for all of bakeSeconds: its window is the whole bake
                const bakeEnd = j.from + bake * 1000;
                await new Promise((r) => setTimeout(r, Math.max(0, bakeEnd + 2000 - Date.now())));
                const { before } = judgeWindow(log, { from: j.from, to: bakeEnd, fresh: "" });
                const requests = window(log, j.from, j.to);
                kept.push({ run: k, version, from: j.from, to: j.to, bakeTo: bakeEnd, fresh, live: j.verdict });
                const canaryReqs = requests.filter((r) => r.server === "web-1");
                const joined = requests.find((r) => r.server === fresh)?.t ?? j.from;
                const since = (xs: LoggedRequest[]) => xs.filter((r) => r.t >= joined);
                const run: Run = {
                    run: k,
                    after: j.verdict,
                    afterChecks: j.verdict === "fail" ? failedChecks(j) : "",
                    afterDecided: j.decidedAfter,
                    afterSeconds: (j.to - j.from) / 1000,
                    before: before.verdict,
                    beforeChecks: before.verdict === "fail" ? failedChecks(before) : "",
                    beforeDecided: before.decidedAfter,
                    freshRatio: geoMean(since(canaryReqs)) / geoMean(since(requests.filter((r) => r.server === fresh))),
                    warmRatio: geoMean(canaryReqs) / geoMean(requests.filter((r) => warm.includes(r.server))),
                    load: os.loadavg()[0],
                    fresh: j.freshBaseline?.error ? `no fresh baseline: ${j.freshBaseline.error.slice(0, 200)}` : fresh,
                };
                done.push(run);
                console.log(
                    `run ${k} ${version}: after ${run.after}${run.afterChecks ? ` (${run.afterChecks})` : ""} after ${run.afterDecided} canary requests, ${run.afterSeconds.toFixed(1)} s; ` +
                        `before ${run.before}${run.beforeChecks ? ` (${run.beforeChecks})` : ""} after ${run.beforeDecided}; latency canary/fresh ${run.freshRatio.toFixed(2)}, canary/warm ${run.warmRatio.toFixed(2)}; load ${run.load.toFixed(1)}${run.fresh.startsWith("no") ? `; ${run.fresh}` : ""}`,
                );
            }
            const back = await runStage(stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
            if (!back.ok) {
                throw new Error(`roll back after run ${k}: ${back.error}`);
            }
        }
        const traffic = await load.stop();
        load = undefined;
        summary();
        keep(log);
        console.log(`windows and HAProxy's log kept in ${path.relative(process.cwd(), keptDir)} (--rejudge)`);
        console.log(`load: ${traffic.requests} requests, ${traffic.failed} failed`);
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
    } finally {
        await load?.stop();
        await close();
    }
}

/** The run's version tag: a new name each run for an identical canary, the variant's tag otherwise. */
function variantTag(k: number): string {
    return opts.variant === "aa" ? `aa${k}` : `${opts.variant}-${k}`;
}

(opts.rejudge ? Promise.resolve(rejudge(opts.rejudge)) : main()).then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
