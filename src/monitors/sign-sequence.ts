// The metric checks' statistics: a sequential sign test on the per-step comparison of the canary
// with its baseline, anytime-valid (Ville's inequality), with no assumption on the metric's
// distribution or on the steps' independence.
//
// At each step t (one Prometheus step, 1 s) the canary's value c_t is compared with the baseline
// servers' median b_t at the same step: the step is "worse" (X_t = 1) when the canary is beyond
// the tolerance (lower is better: c_t > (1 + tol) b_t; higher is better: c_t < (1 - tol) b_t).
// Null ("no regression"): at every step, given everything before it, the canary is beyond the
// tolerance with probability at most 1/2 (its conditional median within tolerance). Under it each
// product  prod_t (1 + lambda (2 X_t - 1))  is a non-negative supermartingale with mean at most 1
// (E[1 + lambda (2X - 1) | past] = 1 + lambda (2p - 1) <= 1), from whichever step it starts, and so
// is a fixed mixture of them (SignBet); by Ville's inequality the mixture ever reaches 1/level with
// probability at most `level`, at any number of looks. The pass side is the same test on 1 - X_t against "beyond the tolerance at
// least half the time".
// What the null does not cover: a metric whose canary-to-baseline ratio sits persistently just
// inside the tolerance with noise that is correlated from step to step can make "worse" more likely
// than 1/2 for a stretch after a worse step; the tolerance must exceed the servers' natural spread
// (docs/canary.md, "Metric checks", gives the A/A figures measured on the real engine).

/** Bets of the mixture, equally weighted: small ones keep evidence through noisy stretches, large ones decide fast. */
const lambdas = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

const logAddExp = (a: number, b: number) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));

/**
 * One side's mixture of betting martingales on a 0/1 sequence against "P(1) <= 1/2", over the bets
 * `lambdas` and over the step each bet starts at: the bet started at step k (k = 0, 1, ...) has
 * weight 1/((k+1)(k+2)), which sum to 1, and stands at 1 until it starts. Each is a non-negative
 * supermartingale from 1 under the null, so their fixed mixture is one too (Ville's inequality
 * holds for it). The late starts matter for a regression that shows only after a while (memory
 * that grows): the steps before it count against an early bet, not against a bet started at it.
 * Worked example (a leak as measured on the real engine: 6 steps within the tolerance, then beyond):
 * the bets started at step 0 alone are at about 300 after 26 steps beyond, under a threshold of
 * 3,000; the mixture over starts crosses 3,000 after 21 (16 when every step is beyond).
 * Recursion per bet: S_t = f_t (S_{t-1} + w_t) over the started bets, plus 1/(t+2), the weight of
 * those not started yet.
 */
export class SignBet {
    /** log S_t per bet: the started components' weighted wealth. */
    private readonly logStarted = lambdas.map(() => -Infinity);
    ones = 0;
    steps = 0;

    add(x: boolean): void {
        const k = this.steps;
        const logW = -Math.log((k + 1) * (k + 2));
        lambdas.forEach((l, i) => (this.logStarted[i] = Math.log1p(x ? l : -l) + logAddExp(this.logStarted[i], logW)));
        this.steps++;
        if (x) {
            this.ones++;
        }
    }

    /** log of the mixture's wealth: the e-value against the null. */
    logEvidence(): number {
        const notStarted = -Math.log(this.steps + 1);
        const perBet = this.logStarted.map((l) => logAddExp(l, notStarted));
        const max = Math.max(...perBet);
        return max + Math.log(perBet.reduce((sum, w) => sum + Math.exp(w - max), 0) / lambdas.length);
    }
}

export type Better = "lower" | "higher";

/** Whether the canary's value is beyond the tolerance of the baseline's at one step. */
export function worse(canary: number, baseline: number, better: Better, tolerance: number): boolean {
    return better === "lower" ? canary > (1 + tolerance) * baseline : canary < (1 - tolerance) * baseline;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Both sides of one metric check, step by step. */
export class MetricSequence {
    readonly fail = new SignBet();
    readonly pass = new SignBet();

    constructor(
        readonly better: Better,
        readonly tolerance: number,
    ) {}

    /** One step: the canary's value and the baseline servers' values at the same moment. */
    add(canary: number, baseline: readonly number[]): boolean {
        const x = worse(canary, median(baseline), this.better, this.tolerance);
        this.fail.add(x);
        this.pass.add(!x);
        return x;
    }
}
