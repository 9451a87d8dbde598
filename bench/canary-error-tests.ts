// The error check's e-process, compared on the judge's matched sets (test/support/canary-stream.ts
// streams, as bench/canary-judge.ts): the mixture over a wide prior (sd 1.5 on log psi, centred
// on "no change": the judge before this round), the mixture centred on a 4x regression (sd 0.7:
// the judge now), a predictable plug-in bet (Waudby-Smith and Ramdas's plug-in, GRAPA-like: each
// set's likelihood ratio at psi estimated from the sets before it, shrunk toward 4x, clipped to
// 1.5..30), and the oracle, the sequential probability ratio test that knows psi (5.1; valid
// only for the 5x row: the ceiling). Each is the error check alone: no pass-early, no other check.
//   npx ts-node --transpile-only bench/canary-error-tests.ts [A/A runs per split=2000] [runs=1000]
import { failWeights } from "../src/canary/judge";
import { MatchedSets, OddsSequence } from "../src/canary/sequential";
import { requestStream, StreamRequest, StreamSpec } from "../test/support/canary-stream";

const rate = 50;
const burst = { from: 5, seconds: 30, rate: 0.2, signature: "upstream reset" };
const levels = [0.005 * 0.3, 0.005, 0.005 * failWeights.errors];
const psi5x = 0.025 / 0.975 / (0.005 / 0.995);
const failed = (r: StreamRequest) => r.s.status < 200 || r.s.status >= 300;

function logChoose(n: number, k: number): number {
    let s = 0;
    for (let i = 1; i <= k; i++) {
        s += Math.log((n - k + i) / i);
    }
    return s;
}

/** log P(the canary holds one of the set's T events) or not, at odds ratio psi. */
function logP(psi: number, m: number, T: number, on: boolean): number {
    const a = Math.log(psi) + logChoose(m, T - 1);
    const b = logChoose(m, T);
    return (on ? a : b) - (Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
}

const tests = ["wide mixture (before)", "mixture centred on 4x (now)", "plug-in bet", "oracle SPRT (knows 5.1x)"] as const;
const wide = OddsSequence.grid.logW;
const centred = OddsSequence.regressionPrior(4, 0.7);

/** For each test and level: the canary request count at the first crossing (Infinity if none). */
function run(seed: number, spec: StreamSpec, maxCanary: number): number[][] {
    const next = requestStream(seed, spec);
    const odds = new OddsSequence();
    const first = tests.map(() => levels.map(() => Infinity));
    let plugIn = 0;
    let oracle = 0;
    const seen = { canary: 0, canaryEvents: 0, baseline: 0, baselineEvents: 0 };
    let canary = 0;
    const sets = new MatchedSets<StreamRequest>((set) => {
        const on = failed(set.canary);
        const off = set.baseline.filter(failed).length;
        const m = set.baseline.length;
        const T = off + (on ? 1 : 0);
        if (T > 0 && T < m + 1) {
            // the bet is fixed from the sets before this one: 2 pseudo-events on each side at 4x
            const psiHat = Math.min(30, Math.max(1.5, (seen.canaryEvents + 8) / (seen.canary + 400) / ((seen.baselineEvents + 2) / (seen.baseline + 400 * m))));
            plugIn += logP(psiHat, m, T, on) - logP(1, m, T, on);
            oracle += logP(psi5x, m, T, on) - logP(1, m, T, on);
        }
        seen.canary++;
        seen.canaryEvents += on ? 1 : 0;
        seen.baseline += m;
        seen.baselineEvents += off;
        odds.add(on, off, m);
        if (T > 0) {
            const e = [odds.logOneSided(1, 1, wide), odds.logOneSided(1, 1, centred), plugIn, oracle];
            e.forEach((logE, i) => levels.forEach((alpha, k) => {
                if (first[i][k] === Infinity && logE >= Math.log(1 / alpha)) {
                    first[i][k] = canary;
                }
            }));
        }
    });
    while (canary < maxCanary) {
        const r = next();
        if (r.group === "canary") {
            canary++;
            sets.canary(r);
        } else {
            sets.baseline(r);
        }
    }
    return first;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const aaRuns = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 1000);
const started = Date.now();
const aa = [1, 3, 9].map((split) => Array.from({ length: aaRuns }, (_, i) => run(1_000_000 * split + i + 1, { split, rate, burst }, 600)));
const err5 = Array.from({ length: runs }, (_, i) => run(5_030_000 + i, { split: 3, rate, canaryErrors: { "db timeout": 0.025 } }, 1000));
const err10 = Array.from({ length: Math.round(runs / 3) }, (_, i) => run(5_040_000 + i, { split: 3, rate, canaryErrors: { "db timeout": 0.1 } }, 1000));
const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    const v = s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return v === Infinity ? ">1000" : String(v);
};
console.log(`The error check alone on matched sets: A/A at 1:1/1:3/1:9 with a 30 s burst on every server (${aaRuns} runs each, 600 canary requests), 5x errors at 1:3 (${runs} runs), 10% errors (${err10.length} runs)`);
console.log("e-process".padEnd(30) + "level".padEnd(8) + "A/A 1:1 / 1:3 / 1:9".padEnd(26) + "5x: by 1000, median/p90".padEnd(28) + "10%: median/p90");
tests.forEach((name, i) => {
    levels.forEach((alpha, k) => {
        const aaCell = aa.map((rs) => pct(rs.filter((r) => r[i][k] < Infinity).length / rs.length)).join(" / ");
        const five = err5.map((r) => r[i][k]);
        const ten = err10.map((r) => r[i][k]);
        console.log(name.padEnd(30) + pct(alpha).padEnd(8) + aaCell.padEnd(26) + `${pct(five.filter((x) => x <= 1000).length / five.length)}, ${q(five, 0.5)}/${q(five, 0.9)}`.padEnd(28) + `${q(ten, 0.5)}/${q(ten, 0.9)}`);
    });
});
console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s`);
