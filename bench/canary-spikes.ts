// A healthy canary's moment of slowness against a lasting regression, on simulated streams shaped
// like the demo (issue 24; the unit test "a latency failure must stand" in
// test/unit/canary/judge.test.ts is the same stream): the canary against its fresh baseline (1:1),
// 100 requests/s, 10 ms lognormal (sigma 0.5, whole ms), for at most 60 s; the canary's requests
// ending in a stretch 5.5 s into the bake `factor` times slower (its process starved for a
// moment), or the canary 30% slower for good. Prints how many of 40 seeds fail, and when (median).
// In-sample: the judge's latency rules were shaped on these streams.
//   npx ts-node --transpile-only bench/canary-spikes.ts
import { CanaryJudge } from "../src/canary/judge";
import { requestStream } from "../test/support/canary-stream";

const seeds = 40;
const kinds: [string, { at: number; ms: number; factor: number } | undefined, number, number][] = [
    ["2x for 2 s", { at: 5500, ms: 2000, factor: 2 }, 1, 400],
    ["3x for 1.5 s", { at: 5500, ms: 1500, factor: 3 }, 1, 600],
    ["3x for 1 s", { at: 5500, ms: 1000, factor: 3 }, 1, 700],
    ["steady +30%", undefined, 1.3, 500],
];
for (const [name, p, factor, seed0] of kinds) {
    const at: number[] = [];
    for (let i = 0; i < seeds; i++) {
        const next = requestStream(seed0 + i, { split: 1, rate: 100, medianMs: 10, errors: {}, canaryFactor: factor });
        const j = new CanaryJudge({ intervals: false, freshBaseline: true, tailThresholdMs: 1000 });
        let t = 0;
        for (let n = 0; n < 6000 && !j.decision; n++) {
            const r = next();
            t = r.t;
            const slowed = r.group === "canary" && p !== undefined && r.t >= p.at && r.t < p.at + p.ms;
            j.add(r.group === "canary" ? "canary" : "fresh", r.t, { ...r.s, latencyMs: slowed ? Math.round(r.s.latencyMs * p.factor) : r.s.latencyMs });
        }
        if (j.decision?.verdict === "fail") {
            at.push(t);
        }
    }
    at.sort((a, b) => a - b);
    console.log(`${name.padEnd(14)} ${at.length} of ${seeds} failed${at.length ? `, at ${(at[Math.floor(at.length / 2)] / 1000).toFixed(1)} s (median)` : ""}`);
}
