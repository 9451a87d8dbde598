// The canary's checks, in the order the judge feeds them and shows them, and their shares of the
// alpha budget. Adding a check: its module in this folder (./check.ts says what it implements),
// its share and a line in `canaryChecks`, its options in JudgeOptions, its keys in
// src/canary/config.ts' table (and Pulumi.yaml). The metric checks (./metrics.ts) are fed by the
// bake's poll instead of requests: they are in the loop when the judge is given where to read them.
import type { CanaryCheck, CheckContext, JudgeState } from "./check";
import { ErrorRateCheck, errorRateDefaults, type ErrorRateOptions, errorRateShare } from "./error-rate";
import { LatencyCheck, latencyDefaults, type LatencyOptions, latencyShare } from "./latency";
import { type MetricChecksSetup, MetricsCheck, metricsShare } from "./metrics";
import { NewErrorsCheck, type NewErrorsOptions, newErrorsShare } from "./new-errors";
import { TailCheck, tailDefaults, type TailOptions, tailShare } from "./tail";

/**
 * Each fail-side check's share of `alpha` (weighted Bonferroni: the checks' false failures add up
 * to at most the sum of their levels, by Ville's inequality each, so at most alpha over all checks
 * and looks). The shares are 2 : 0.4 : 0.3 : 0.4 (: 0.2 for the metric checks) of 3.3, chosen from the per-check false-failure
 * rates measured in A/A (bench/canary-judge.ts --per-check, 1:1/1:3/1:9 with an error burst on
 * every server, whole-ms ties), which are far below their levels: the budget goes where the power
 * was missing. Errors get the most (a 5x error regression needs a level of about 1%), the tail the
 * next (a p99 doubling needs about 0.2%), latency less (its fail side, against "no slower", spends
 * about its whole level in A/A: 0.11% at 1:3), the new signatures 0.2% (issue 24: a signature
 * the stable servers never show, on 0.5% of 2,000 canary requests, failed 135 of 200 streams at
 * 1:2 with 0.1%, 157 with 0.2%; none of 2,000 A/A streams with a burst of a new signature failed
 * on it at either), the k-th of them half the one before; the metric checks 0.1%, split evenly
 * over them (./metrics.ts). Where a stack has no metric checks their share is unspent: the
 * request checks keep their levels. At the default alpha 1.65% the levels are errors 1%,
 * tail 0.2%, latency 0.15%, new signatures 0.2%, metric checks 0.1%; the measured A/A rate is
 * about a third of alpha (docs/canary.md, "Alpha budget").
 */
const shares = { errors: errorRateShare, tail: tailShare, latency: latencyShare, newErrors: newErrorsShare, metrics: metricsShare } as const;
const sharesSum = shares.errors + shares.tail + shares.latency + shares.newErrors + shares.metrics;
export const failWeights = {
    errors: shares.errors / sharesSum,
    tail: shares.tail / sharesSum,
    latency: shares.latency / sharesSum,
    newErrors: shares.newErrors / sharesSum,
    metrics: shares.metrics / sharesSum,
} as const;

/** Every check's options (each documented in its module). */
export type CheckOptions = ErrorRateOptions & LatencyOptions & TailOptions & NewErrorsOptions;

/** The checks' defaults. */
export const checkDefaults = { ...errorRateDefaults, ...latencyDefaults, ...tailDefaults } as const;

/** What the judge gives every check: the options resolved, its own too. */
export type ResolvedCheckOptions = typeof checkDefaults & CheckOptions & { readonly intervals: boolean; readonly freshBaseline: boolean };

/** The judge's levels: `alpha` over every check's fail side, `passAlpha` over the pass sides. */
export interface Levels {
    readonly alpha: number;
    readonly passAlpha: number;
}

/**
 * The checks, each at alpha x its share, in the order the judge feeds them a request and shows
 * them: error rate, latency, tail, new error signatures, and the metric checks when `metrics`
 * says where to read them. Each request effect (errors, latency, tail) gets a third of passAlpha.
 */
export function canaryChecks(o: ResolvedCheckOptions, levels: Levels, state: JudgeState, metrics?: MetricChecksSetup): readonly CanaryCheck[] {
    const passShare = levels.passAlpha / 3;
    const at = (weight: number): CheckContext => ({ alpha: levels.alpha * weight, passShare, state });
    const errors = at(failWeights.errors);
    return [
        new ErrorRateCheck(o, errors),
        new LatencyCheck(o, at(failWeights.latency)),
        new TailCheck(o, at(failWeights.tail)),
        new NewErrorsCheck(o, at(failWeights.newErrors), { check: ErrorRateCheck.checkName, alpha: errors.alpha }),
        ...(metrics ? [new MetricsCheck(metrics, at(failWeights.metrics), levels.passAlpha)] : []),
    ];
}
