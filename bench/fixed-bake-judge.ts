// Today's judge before issue 15, kept for bench/canary-judge.ts only: a fixed bake judged once at its end
// (two-proportion z-test, Mann-Whitney U, Holm, effect floors, a minimum sample size).
// Checks, each one-sided (is the canary worse?), their false-failure rate held at `alpha`
// together by Holm's step-down method:
//   error-rate      two-proportion z-test on failed requests (non-2xx or connection errors),
//                   with an effect floor (ratio and absolute difference) below which a
//                   significant difference does not fail;
//   latency         Mann-Whitney U (rank-sum) on successful requests' latency, normal
//                   approximation with tie correction, with floors on the median's ratio and
//                   difference;
//   new-errors      per error signature the canary shows and the baseline does not: the same
//                   z-test on its rate. Signatures the baseline shows too are known problems:
//                   they count in the error rate like any failure, but never as new.
// Guardrails fail whatever the baseline does: a canary error rate or p99 above a ceiling.
// Below the minimum sample size on either side the verdict is inconclusive.
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import { quantileSorted, wilcoxonRankSum } from "simple-statistics";

export interface Sample {
    /** HTTP status; 0 for a connection error or time-out. */
    readonly status: number;
    readonly latencyMs: number;
    /** A normalised error message or log line, for failed requests. */
    readonly error?: string;
}

export interface JudgeOptions {
    /** Family-wise false-failure rate over all checks. @default 0.005 */
    readonly alpha?: number;
    /** Requests each side needs for a verdict. @default 200 */
    readonly minSamples?: number;
    /** The canary fails on error rate only if it is at least this many times the baseline's. @default 1.5 */
    readonly minErrorRatio?: number;
    /** ... and at least this much higher in absolute terms. @default 0.002 */
    readonly minErrorDelta?: number;
    /** The canary fails on latency only if its median is at least this many times the baseline's. @default 1.1 */
    readonly minLatencyRatio?: number;
    /** ... and at least this many milliseconds higher (load balancers log whole milliseconds). @default 5 */
    readonly minLatencyDeltaMs?: number;
    /** A new error signature needs at least this many occurrences. @default 3 */
    readonly minNewErrorCount?: number;
    /** Guardrail: canary error rate above this fails. @default 0.05 */
    readonly maxErrorRate?: number;
    /** Guardrail: canary p99 above this fails. @default - none */
    readonly maxP99Ms?: number;
}

export type Verdict = "pass" | "fail" | "inconclusive";

export interface Check {
    readonly name: string;
    readonly verdict: Verdict;
    /** One-sided p-value where a test applies. */
    readonly pValue?: number;
    readonly baseline: number;
    readonly canary: number;
    readonly detail: string;
}

export interface Judgement {
    readonly verdict: Verdict;
    readonly checks: readonly Check[];
    readonly counts: { readonly baseline: number; readonly canary: number };
}

const defaults: Required<Omit<JudgeOptions, "maxP99Ms">> = {
    alpha: 0.005,
    minSamples: 200,
    minErrorRatio: 1.5,
    minErrorDelta: 0.002,
    minLatencyRatio: 1.1,
    minLatencyDeltaMs: 5,
    minNewErrorCount: 3,
    maxErrorRate: 0.05,
};

const failed = (s: Sample) => s.status < 200 || s.status >= 300;

/** One-sided two-proportion z-test: P(canary rate > baseline rate by chance). */
export function proportionPValue(baseFailed: number, baseN: number, canFailed: number, canN: number): number {
    const pooled = (baseFailed + canFailed) / (baseN + canN);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseN + 1 / canN));
    if (se === 0) {
        return 1;
    }
    const z = (canFailed / canN - baseFailed / baseN) / se;
    return 1 - normalCdf(z, 0, 1);
}

/** One-sided Mann-Whitney U: P(canary values are not larger), normal approximation with tie correction. */
export function mannWhitneyPValue(baseline: number[], canary: number[]): number {
    const n1 = canary.length;
    const n2 = baseline.length;
    const w = wilcoxonRankSum(canary, baseline); // rank sum of the canary in the pooled sample
    const u = w - (n1 * (n1 + 1)) / 2;
    const counts = new Map<number, number>();
    for (const v of [...canary, ...baseline]) {
        counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    let ties = 0;
    for (const t of counts.values()) {
        ties += t ** 3 - t;
    }
    const n = n1 + n2;
    const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
    if (variance <= 0) {
        return 1;
    }
    const z = (u - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
    return 1 - normalCdf(z, 0, 1);
}

/** Holm's step-down: which p-values are significant at family-wise level alpha. */
export function holm(pValues: readonly number[], alpha: number): boolean[] {
    const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
    const significant = pValues.map(() => false);
    for (const [rank, [p, i]] of order.entries()) {
        if (p > alpha / (pValues.length - rank)) {
            break;
        }
        significant[i] = true;
    }
    return significant;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function judge(baseline: readonly Sample[], canary: readonly Sample[], options: JudgeOptions = {}): Judgement {
    const o = { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof defaults & { maxP99Ms?: number };
    const counts = { baseline: baseline.length, canary: canary.length };
    if (baseline.length < o.minSamples || canary.length < o.minSamples) {
        return {
            verdict: "inconclusive",
            counts,
            checks: [{ name: "sample-size", verdict: "inconclusive", baseline: baseline.length, canary: canary.length, detail: `needs at least ${o.minSamples} requests on each side` }],
        };
    }

    const baseFailed = baseline.filter(failed).length;
    const canFailed = canary.filter(failed).length;
    const baseRate = baseFailed / baseline.length;
    const canRate = canFailed / canary.length;
    const okLatency = (xs: readonly Sample[]) => xs.filter((s) => !failed(s)).map((s) => s.latencyMs).sort((a, b) => a - b);
    const baseLat = okLatency(baseline);
    const canLat = okLatency(canary);
    const median = (xs: number[]) => (xs.length ? quantileSorted(xs, 0.5) : 0);
    const p99 = (xs: number[]) => (xs.length ? quantileSorted(xs, 0.99) : 0);

    const signatures = (xs: readonly Sample[]) => {
        const m = new Map<string, number>();
        for (const s of xs) {
            if (failed(s) && s.error) {
                m.set(s.error, (m.get(s.error) ?? 0) + 1);
            }
        }
        return m;
    };
    const baseSigs = signatures(baseline);
    const newSigs = [...signatures(canary)].filter(([sig]) => !baseSigs.has(sig));

    interface Tested { name: string; p: number; effect: boolean; baseline: number; canary: number; detail: string }
    const tested: Tested[] = [
        {
            name: "error-rate",
            p: proportionPValue(baseFailed, baseline.length, canFailed, canary.length),
            effect: canRate >= baseRate * o.minErrorRatio && canRate - baseRate >= o.minErrorDelta,
            baseline: baseRate,
            canary: canRate,
            detail: `failed requests ${pct(canRate)} vs ${pct(baseRate)} (floor: x${o.minErrorRatio} and +${pct(o.minErrorDelta)})`,
        },
        {
            name: "latency",
            p: baseLat.length && canLat.length ? mannWhitneyPValue(baseLat, canLat) : 1,
            effect: median(canLat) >= median(baseLat) * o.minLatencyRatio && median(canLat) - median(baseLat) >= o.minLatencyDeltaMs,
            baseline: median(baseLat),
            canary: median(canLat),
            detail: `median ${median(canLat).toFixed(1)} ms vs ${median(baseLat).toFixed(1)} ms, p99 ${p99(canLat).toFixed(1)} vs ${p99(baseLat).toFixed(1)} ms (floor: x${o.minLatencyRatio} and +${o.minLatencyDeltaMs} ms)`,
        },
        ...newSigs.map(([sig, count]) => ({
            name: `new-error: ${sig}`,
            p: proportionPValue(0, baseline.length, count, canary.length),
            effect: count >= o.minNewErrorCount,
            baseline: 0,
            canary: count / canary.length,
            detail: `${count} canary requests (${pct(count / canary.length)}) failed with an error the baseline never showed`,
        })),
    ];
    const significant = holm(tested.map((t) => t.p), o.alpha);
    const checks: Check[] = tested.map((t, i) => ({
        name: t.name,
        verdict: significant[i] && t.effect ? "fail" : "pass",
        pValue: t.p,
        baseline: t.baseline,
        canary: t.canary,
        detail: t.detail,
    }));
    checks.push({
        name: "guardrail: error rate",
        verdict: canRate > o.maxErrorRate ? "fail" : "pass",
        baseline: baseRate,
        canary: canRate,
        detail: `canary ${pct(canRate)}, ceiling ${pct(o.maxErrorRate)}`,
    });
    if (o.maxP99Ms !== undefined) {
        checks.push({
            name: "guardrail: p99",
            verdict: p99(canLat) > o.maxP99Ms ? "fail" : "pass",
            baseline: p99(baseLat),
            canary: p99(canLat),
            detail: `canary p99 ${p99(canLat).toFixed(1)} ms, ceiling ${o.maxP99Ms} ms`,
        });
    }
    return { verdict: checks.some((c) => c.verdict === "fail") ? "fail" : "pass", checks, counts };
}

export function formatJudgement(j: Judgement): string {
    const lines = [`verdict: ${j.verdict} (baseline ${j.counts.baseline} requests, canary ${j.counts.canary})`, "", "check                          result        p  detail"];
    for (const c of j.checks) {
        lines.push(`${c.name.slice(0, 30).padEnd(30)} ${c.verdict.padEnd(12)} ${c.pValue === undefined ? "     -" : c.pValue.toExponential(1).padStart(7)}  ${c.detail}`);
    }
    return lines.join("\n");
}
