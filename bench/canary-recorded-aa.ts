// A/A on recorded traffic: two stable servers of the sample app (web-1 and web-2, both v1) behind
// HAProxy on a throwaway local stack, under the shop's load (GET /products, POST /orders) for a
// few minutes; HAProxy's request log is then judged as a canary's bake would be, web-1 against
// web-2 and web-2 against web-1, at 1:1 and at 1:3 (the canary's requests thinned to a third by
// a seeded coin, several coins a window), over bake windows sliding through the log. Both servers
// run one version, so every "fail" is a false failure. The judge before issue 15
// (bench/fixed-bake-judge.ts: the window judged once, its first quarter dropped) runs beside it.
//   npx ts-node --transpile-only bench/canary-recorded-aa.ts [seconds=150] [rate=200] [bake=20]
//   npx ts-node --transpile-only bench/canary-recorded-aa.ts --log FILE [bake]   (judges a log kept before; no stack)
// The tail threshold is fixed as the provider fixes it: the baseline's p99 over the minute before
// the window (when it holds 300 successful requests; else the judge takes its first 300).
import * as fs from "node:fs";
import * as path from "node:path";
import mt19937 from "@stdlib/random-base-mt19937";
import { CanaryJudge } from "../src/canary/judge";
import { LoggedRequest, parseHaproxyLine } from "../src/canary/evidence";
import { projectRoot } from "../src/engine";
import { startLoad } from "../src/load/traffic";
import { runStage } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { freePort, freePortRange } from "../test/support/ports";
import { judge as fixedBakeJudge } from "./fixed-bake-judge";
import { throwawayStack } from "./throwaway-stack";

const servers = ["web-1", "web-2"];
const stepSeconds = 2;
const coinsPerWindow = 5;

/** Runs the load against a fresh two-server stack and returns HAProxy's request log, copied. */
async function record(seconds: number, rate: number): Promise<string> {
    const { stack, localDir, close } = await throwawayStack("bench-recorded-aa");
    const kept = path.join(projectRoot, ".zdr", `recorded-aa-${process.pid}.log`);
    try {
        const appBasePort = await freePortRange(servers.length);
        const lbPort = await freePort();
        const up = await runStage(stack, {
            name: "v1 on two servers",
            config: {
                ...localStackApp(projectRoot),
                servers,
                lbPort: String(lbPort),
                appBasePort: String(appBasePort),
                dbPort: String(await freePort()),
                prometheusPort: String(await freePortRange(3)),
                stableVersion: "v1",
                healthCheckIntervalMs: "200",
                drainTimeoutSeconds: "5",
                healthTimeoutSeconds: "10",
            },
        });
        if (!up.ok) {
            throw new Error(up.error);
        }
        const load = startLoad(`http://127.0.0.1:${lbPort}`, { rate, connections: 6, maxSeconds: seconds + 30 });
        await new Promise((r) => setTimeout(r, seconds * 1000));
        const traffic = await load.stop();
        await new Promise((r) => setTimeout(r, 1500)); // HAProxy logs a request when it ends
        fs.copyFileSync(path.join(localDir, "haproxy.log"), kept);
        console.log(`recorded ${seconds} s at ${rate} requests/s: ${traffic.requests} requests, ${traffic.failed} failed; log kept in ${path.relative(process.cwd(), kept)}`);
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
    } finally {
        await close();
    }
    return kept;
}

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] : NaN);
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}% (${n}/${of})`;

interface Cell {
    runs: number;
    failed: number;
    passed: number;
    oldFailed: number;
    decided: number[];
    failures: string[];
}

function judgeLog(file: string, bakeSeconds: number): void {
    const requests = fs
        .readFileSync(file, "latin1")
        .split("\n")
        .flatMap((l) => parseHaproxyLine(l) ?? [])
        .filter((r) => servers.includes(r.server))
        .sort((a, b) => a.t - b.t);
    if (requests.length === 0) {
        throw new Error(`${file}: no request of ${servers.join(", ")}`);
    }
    const first = requests[0].t;
    const last = requests[requests.length - 1].t;
    const ok = (r: LoggedRequest) => r.status >= 200 && r.status < 300;
    const lat = (s: string) => requests.filter((r) => r.server === s && ok(r)).map((r) => r.latencyMs);
    console.log(
        `log: ${requests.length} requests over ${((last - first) / 1000).toFixed(0)} s; ` +
            servers.map((s) => `${s} ${requests.filter((r) => r.server === s).length} (p50 ${quantile(lat(s), 0.5)} ms, p99 ${quantile(lat(s), 0.99)} ms, failed ${requests.filter((r) => r.server === s && !ok(r)).length})`).join(", "),
    );

    const cells = new Map<string, Cell>();
    for (const [canary, baseline] of [servers, [...servers].reverse()]) {
        for (const split of [1, 3]) {
            const cell: Cell = { runs: 0, failed: 0, passed: 0, oldFailed: 0, decided: [], failures: [] };
            cells.set(`${canary} vs ${baseline} 1:${split}`, cell);
            for (let from = first; from + bakeSeconds * 1000 <= last; from += stepSeconds * 1000) {
                const to = from + bakeSeconds * 1000;
                const before = requests.filter((r) => r.server === baseline && ok(r) && r.t >= from - 60_000 && r.t < from).map((r) => r.latencyMs);
                const window = requests.filter((r) => r.t >= from && r.t < to);
                for (let coin = 0; coin < (split === 1 ? 1 : coinsPerWindow); coin++) {
                    const rng = mt19937.factory({ seed: 1 + coin + 1000 * Math.round((from - first) / 1000) });
                    const u = () => (rng as unknown as { normalized(): number }).normalized();
                    const kept = window.filter((r) => r.server === baseline || split === 1 || u() < 1 / split);
                    const j = new CanaryJudge({ intervals: false, ...(before.length >= 300 ? { tailThresholdMs: quantile(before, 0.99) } : {}) });
                    for (const r of kept) {
                        j.add(r.server === canary ? "canary" : "baseline", r.t, r);
                        if (j.decision) {
                            break;
                        }
                    }
                    const verdict = j.judgement(true);
                    cell.runs++;
                    if (verdict.verdict === "fail") {
                        cell.failed++;
                        cell.failures.push(`${new Date(from).toISOString()}: ${verdict.checks.filter((c) => c.verdict === "fail").map((c) => c.name).join(", ")} after ${verdict.decidedAfter}`);
                    }
                    cell.passed += verdict.verdict === "pass" ? 1 : 0;
                    if (verdict.verdict !== "inconclusive") {
                        cell.decided.push(verdict.decidedAfter);
                    }
                    const skip = <T>(xs: T[]) => xs.slice(Math.floor(xs.length / 4));
                    const old = fixedBakeJudge(skip(kept.filter((r) => r.server === baseline)), skip(kept.filter((r) => r.server === canary)));
                    cell.oldFailed += old.verdict === "fail" ? 1 : 0;
                }
            }
        }
    }
    console.log(`\nA/A false failures on recorded traffic: ${bakeSeconds} s bakes sliding by ${stepSeconds} s, 1:3 by ${coinsPerWindow} seeded thinnings of the canary a window`);
    console.log("canary vs baseline, split".padEnd(28) + "bakes".padEnd(7) + "before (fixed bake)".padEnd(22) + "after: fails".padEnd(22) + "passes early".padEnd(22) + "decided after (median)");
    for (const [name, c] of cells) {
        console.log(name.padEnd(28) + String(c.runs).padEnd(7) + pct(c.oldFailed, c.runs).padEnd(22) + pct(c.failed, c.runs).padEnd(22) + pct(c.passed, c.runs).padEnd(22) + (c.decided.length ? String(quantile(c.decided, 0.5)) : "-"));
    }
    const all = [...cells.values()];
    const runs = all.reduce((s, c) => s + c.runs, 0);
    console.log(`all: ${pct(all.reduce((s, c) => s + c.failed, 0), runs)} false failures after, ${pct(all.reduce((s, c) => s + c.oldFailed, 0), runs)} before (windows overlap: the bakes are not independent)`);
    for (const [name, c] of cells) {
        for (const f of c.failures.slice(0, 5)) {
            console.log(`  fail ${name} ${f}`);
        }
    }
}

async function main() {
    const args = process.argv.slice(2);
    if (args[0] === "--log") {
        judgeLog(args[1], Number(args[2] ?? 20));
        return;
    }
    const [seconds, rate, bake] = [Number(args[0] ?? 150), Number(args[1] ?? 200), Number(args[2] ?? 20)];
    judgeLog(await record(seconds, rate), bake);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
