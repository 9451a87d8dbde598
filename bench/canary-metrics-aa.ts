// A/A of the canary's metric checks on the real engine: a throwaway local stack (three servers of
// the sample webshop, its own Prometheus), healthy v2 canaries released one after another under
// the shop's load with a 60 s bake, each rolled back; every metric check's steps beyond its
// tolerance and its largest evidence over the bake (log10 of evidence / threshold: 0 fails) are
// printed, from the evidence kept beside each judgement (<report>.metrics.json), recomputed step
// by step with the same sign test. A healthy canary against its fresh baseline (a v1 process
// started with its bake, what the metric checks compare it with on the local default): every
// metric check that fails is a false failure. At the end: canaries run, and the failures per check.
// With another version (cpuhog: twice the CPU per request), the same runs show the checks' power:
// there a failure of cpu-per-request is the right verdict. Each run prints cpu-per-request's last
// value per side and their ratio, and the machine's load average at the bake's start and end.
//   npx ts-node --transpile-only bench/canary-metrics-aa.ts [runs=4] [bake=60] [maxMinutes=∞] [version=v2]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultAlpha, failWeights } from "../src/canary/judge";
import { startLoad } from "../src/load/traffic";
import { runStage } from "../src/release/stages";
import { SignBet } from "../src/monitors/sign-sequence";
import { openLocalStack } from "../test/support/local-stack";

interface Point {
    readonly worse: boolean;
    readonly canary: number;
    readonly baseline: Record<string, number>;
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 4);
    const bake = process.argv[3] ?? "60";
    // no run starts after this (each takes about three minutes on the busy machine)
    const stopAt = Date.now() + Number(process.argv[4] ?? Infinity) * 60_000;
    const version = process.argv[5] ?? "v2";
    const failures: Record<string, number> = {};
    let done = 0;
    // twice the CPU slows a canary's requests on a starved machine: the latency check would end its
    // bake before the metric checks decide (as in test/e2e/canary-metrics.test.ts, only beyond 100 ms)
    const local = await openLocalStack("bench-metrics-aa", { bakeSeconds: bake, canaryWarmupSeconds: "10", canaryLatencyFloorMs: version === "v2" ? "20" : "100" });
    try {
        for (let run = 1; run <= runs && Date.now() < stopAt; run++) {
            const load = startLoad(local.lbUrl, { rate: 150, connections: 6, maxSeconds: 400 });
            const loadBefore = os.loadavg()[0];
            const result = await runStage(local.stack, { name: `${version} canary ${run}`, config: { releaseVersion: version, canaryCount: "1" } });
            await load.stop();
            const file = path.join(local.dir, `judgements/web-1-${version}.metrics.json`);
            const evidence = JSON.parse(fs.readFileSync(file, "utf8")) as { baseline?: string[]; checks: { name: string; verdict: string; points: Point[]; steps: { judged: number; warmup: number; missing: number } }[] };
            done++;
            for (const c of evidence.checks.filter((x) => x.verdict === "fail")) {
                failures[c.name] = (failures[c.name] ?? 0) + 1;
            }
            const threshold = 1 / ((defaultAlpha * failWeights.metrics) / evidence.checks.length);
            const rows = evidence.checks.map((c) => {
                const bet = new SignBet();
                let max = -Infinity;
                for (const p of c.points) {
                    bet.add(p.worse);
                    max = Math.max(max, bet.logEvidence());
                }
                const worse = c.points.filter((p) => p.worse).length;
                const last = c.points[c.points.length - 1];
                const ratio = last ? last.canary / Object.values(last.baseline)[0] : NaN;
                return `${c.name} ${c.verdict} beyond ${worse}/${c.points.length} max ${((max - Math.log(threshold)) / Math.LN10).toFixed(2)} last ${ratio.toFixed(2)}x`;
            });
            console.log(`run ${run} (${new Date().toISOString()}, load ${loadBefore.toFixed(0)}-${os.loadavg()[0].toFixed(0)}): up ${result.ok ? "ok" : "failed"}, against ${(evidence.baseline ?? []).join(", ")}; ${rows.join("; ")}`);
            fs.renameSync(file, file.replace(/\.json$/, `.${run}.json`));
            const back = await runStage(local.stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
            if (!back.ok) {
                throw new Error(back.error);
            }
        }
    } finally {
        console.log(`${done} ${version} canaries judged; metric checks failed: ${Object.keys(failures).length ? JSON.stringify(failures) : "none"}`);
        await local.close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
