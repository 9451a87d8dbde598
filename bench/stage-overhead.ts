// Benchmark: how long each stage of a staged release takes beyond its inherent waits (drain,
// the app's start, health checks), with zdr on the real engine and with a plain shell script
// against HAProxy's runtime API, side by side in one run on one local environment; and where a
// zdr stage spends its time (src/profile.ts marks of the program and the provider).
//
// Run: npx ts-node --transpile-only bench/stage-overhead.ts [--before REV]   (after `bash scripts/setup`)
//
// With --before REV the same three stages also run on the project as of git revision REV (a
// detached worktree in .zdr/bench-before, its dist/ built as scripts/setup builds it), in the
// same run, before this tree's: the table then shows before, after and the script.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../src/engine";
import { Mark, readMarks } from "../src/profile";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";
import { readEvents, ReleaseEvent } from "../src/release/report";
import { runStage } from "../src/release/stages";
import { freePort, freePortRange } from "../test/support/ports";

const servers = ["web-1", "web-2", "web-3"];

interface Row {
    readonly how: string;
    readonly server: string;
    readonly totalMs: number;
    readonly inherentMs: number;
}

/** Sum of drain, deploy and reattach durations, per server. */
function inherent(events: readonly ReleaseEvent[], server: string): number {
    let sum = 0;
    for (const step of ["drain", "deploy", "reattach"]) {
        const start = events.find((e) => e.server === server && e.step === step && e.phase === "start");
        const end = events.find((e) => e.server === server && e.step === step && e.phase === "end");
        if (start && end) {
            sum += end.t - start.t;
        }
    }
    return sum;
}

/** Where one stage's time went, from the marks of its program and provider; ms from the up's start. */
export function breakdown(marks: readonly Mark[], upStart: number, upEnd: number, events: readonly ReleaseEvent[]): [string, number][] {
    const at = (who: string, what: string) => marks.find((m) => m.who === who && m.what === what)?.t;
    const rows: [string, number][] = [];
    const span = (label: string, from: number | undefined, to: number | undefined) => {
        if (from !== undefined && to !== undefined) {
            rows.push([label, to - from]);
        }
    };
    const program = ["process start", "loaded", "stack registered", "last-up read", "parser loaded", "statement log read", "registered"].map((w) => at("program", w));
    span("engine start, until the program's node starts", upStart, program[0]);
    span("program: node, @pulumi/pulumi and the program's modules load", program[0], program[1]);
    span("program: the stack resource registered", program[1], program[2]);
    span("program: the StackReference \"last-up\" read", program[2], program[3]);
    span("program: components built, the SQL parser loaded", program[3], program[4]);
    span("program: the statement log read", program[4], program[5]);
    span("program: the resources registered", program[5], program[6]);
    const providerStart = at("provider", "process start");
    span("provider: from the up's start until its node starts", upStart, providerStart);
    span("provider: its modules load", providerStart, at("provider", "loaded"));
    // provider requests: [start, end] per request
    const requests = new Map<string, { start?: number; end?: number }>();
    for (const m of marks.filter((x) => x.who === "provider" && / (start|end)$/.test(x.what) && x.what !== "process start")) {
        const key = m.what.replace(/ (start|end)$/, "");
        const r = requests.get(key) ?? {};
        if (m.what.endsWith(" start")) {
            r.start ??= m.t;
        } else {
            r.end = m.t;
        }
        requests.set(key, r);
    }
    const intervals = [...requests.values()].filter((r) => r.start !== undefined && r.end !== undefined).map((r) => [r.start!, r.end!] as [number, number]).sort((a, b) => a[0] - b[0]);
    if (intervals.length > 0) {
        let busy = 0;
        let [s, e] = intervals[0];
        for (const [a, b] of intervals.slice(1)) {
            if (a > e) {
                busy += e - s;
                [s, e] = [a, b];
            } else {
                e = Math.max(e, b);
            }
        }
        busy += e - s;
        const first = intervals[0][0];
        const last = Math.max(...intervals.map((i) => i[1]));
        const waits = servers.reduce((sum, server) => sum + inherent(events, server), 0);
        span("from the up's start to the provider's first request", upStart, first);
        rows.push(["provider requests in flight (check, diff, create, update, delete)", busy]);
        rows.push(["  of which the inherent waits (drain, deploy, reattach)", waits]);
        rows.push(["engine between requests (steps, state writes), no request in flight", last - first - busy]);
        span("after the last request until the up returned (final state write, plugins stop)", last, upEnd);
    }
    rows.push(["the whole stage (pulumi up)", upEnd - upStart]);
    return rows;
}

/** The three canary stages on a throwaway stack of the project in root; profiles them when asked. */
async function zdrStages(how: string, root: string, profileDir?: string): Promise<{ rows: Row[]; shell?: Row[] }> {
    const { stack, localDir, eventsFile, close } = await throwawayStack("bench", root);
    const rows: Row[] = [];
    let shell: Row[] | undefined;
    let shellPids: number[] = [];
    try {
        const appBasePort = await freePortRange(3);
        const first = await runStage(stack, {
            name: "v1",
            config: { ...localStackApp(root), lbPort: String(await freePort()), appBasePort: String(appBasePort), dbPort: String(await freePort()), prometheusPort: String(await freePortRange(3)), healthCheckIntervalMs: "200", drainTimeoutSeconds: "5", healthTimeoutSeconds: "10" },
        });
        if (!first.ok) {
            throw new Error(first.error);
        }
        for (const [i, server] of servers.entries()) {
            const since = Date.now();
            const profile = profileDir && path.join(profileDir, `${server}.jsonl`);
            if (profile) {
                process.env.ZDR_PROFILE = profile;
            }
            const r = await runStage(stack, { name: `canary ${i + 1}`, config: { releaseVersion: "v2", canaryCount: String(i + 1) } });
            delete process.env.ZDR_PROFILE;
            if (!r.ok) {
                throw new Error(r.error);
            }
            const events = readEvents(eventsFile, since);
            rows.push({ how, server, totalMs: r.durationMs, inherentMs: inherent(events, server) });
            if (profile) {
                console.log(`\n${how}, stage "canary ${i + 1}" (${server} to v2): where the time went`);
                for (const [label, ms] of breakdown(readMarks(profile), r.startedAt, r.startedAt + r.durationMs, events)) {
                    console.log(`  ${label.padEnd(110)} ${(ms / 1000).toFixed(2).padStart(6)} s`);
                }
                // what the Automation API's stack.up() runs after the engine, which runStage no longer does
                const t0 = Date.now();
                await stack.outputs();
                const t1 = Date.now();
                await stack.history(1);
                console.log(`  (not in the stage any more: stack.up() ran stack.outputs() ${((t1 - t0) / 1000).toFixed(2)} s and stack.history(1) ${((Date.now() - t1) / 1000).toFixed(2)} s after the engine)`);
            }
        }
        if (profileDir) {
            // The shell script takes over the processes zdr started and moves them back to v1.
            const state = await stack.exportStack();
            const entries = servers.map((server, i) => {
                const res = state.deployment.resources.find((x: { urn: string }) => x.urn.endsWith(`::webshop-${server}-deploy`));
                return `${server}:${appBasePort + i}:${res.outputs.pid}`;
            });
            const password = (await stack.getConfig("zdr:dbPassword")).value;
            const env = { ...process.env, PGHOST: "127.0.0.1", PGPORT: first.config.dbPort as string, PGUSER: String(first.config.dbUser), PGDATABASE: String(first.config.dbName), PGPASSWORD: password };
            const start = Date.now();
            const out = execFileSync(path.join(projectRoot, "bench/shell-release.sh"), [path.join(localDir, "haproxy.sock"), "v1", path.join(localDir, "logs"), entries.join(" ")], { env, encoding: "utf8", timeout: 300_000 });
            const lines = out.trim().split("\n");
            shellPids = (lines.pop() ?? "").replace(/^pids /, "").split(" ").map((e) => Number(e.split(":")[1]));
            const events = lines.map((l) => JSON.parse(l) as ReleaseEvent);
            let previousEnd = start;
            shell = [];
            for (const server of servers) {
                const end = events.find((e) => e.server === server && e.step === "reattach" && e.phase === "end")?.t ?? previousEnd;
                shell.push({ how: "shell + runtime API", server, totalMs: end - previousEnd, inherentMs: inherent(events, server) });
                previousEnd = end;
            }
        }
    } finally {
        for (const pid of shellPids) {
            try {
                process.kill(pid, "SIGTERM");
            } catch {
                // already gone
            }
        }
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
        await close();
    }
    return { rows, shell };
}

/** A detached worktree of the project at rev, set up as scripts/setup would (dist/ built). */
function beforeTree(rev: string): string {
    const dir = path.join(projectRoot, ".zdr/bench-before");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (fs.existsSync(dir)) {
        git("worktree", "remove", "--force", dir);
    }
    git("worktree", "add", "--detach", dir, rev);
    fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, ".zdr"), { recursive: true });
    // its own copy of the engine: scripts/pulumi rebuilds the language host there (about 30 s with
    // warm Go caches) when that revision's tools/engine differs, and never touches this tree's
    execFileSync("cp", ["-a", fs.realpathSync(path.join(projectRoot, ".zdr/engine")), path.join(dir, ".zdr/engine")]);
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
    return dir;
}

async function main() {
    const revArg = process.argv.indexOf("--before");
    const rev = revArg >= 0 ? process.argv[revArg + 1] : undefined;
    if (revArg >= 0 && !rev) {
        throw new Error("--before needs a git revision, e.g. --before 4e6c60a");
    }
    const rows: Row[] = [];
    let shell: Row[] = [];
    let before: string | undefined;
    try {
        if (rev) {
            before = beforeTree(rev);
            rows.push(...(await zdrStages(`zdr before (${rev})`, before)).rows);
        }
        const profileDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-profile-"));
        try {
            const after = await zdrStages(rev ? "zdr after (this tree)" : "zdr (pulumi up)", projectRoot, profileDir);
            rows.push(...after.rows);
            shell = after.shell ?? [];
        } finally {
            fs.rmSync(profileDir, { recursive: true, force: true });
        }
    } finally {
        if (before) {
            execFileSync("git", ["worktree", "remove", "--force", before], { cwd: projectRoot, stdio: "inherit" });
        }
    }

    console.log("\nhow                          server  stage s  inherent s  overhead s  stage / script");
    for (const r of [...rows, ...shell]) {
        const script = shell.find((s) => s.server === r.server);
        const ratio = script && script.totalMs > 0 ? `${(r.totalMs / script.totalMs).toFixed(2)}x` : "";
        console.log(`${r.how.padEnd(28)} ${r.server.padEnd(7)} ${(r.totalMs / 1000).toFixed(2).padStart(7)}  ${(r.inherentMs / 1000).toFixed(2).padStart(10)}  ${((r.totalMs - r.inherentMs) / 1000).toFixed(2).padStart(10)}  ${ratio.padStart(14)}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
