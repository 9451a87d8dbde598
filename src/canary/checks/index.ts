// The canary's checks, in the order the judge feeds them and shows them, and their shares of the
// alpha budget. Adding a check: its module in this folder (./check.ts says what it implements),
// its share and a line in `canaryChecks`, its options in JudgeOptions, its keys in
// src/canary/config.ts' table (and Pulumi.yaml).
import type { CanaryCheck, CheckContext, JudgeState } from "./check";
import { ErrorRateCheck, errorRateDefaults, type ErrorRateOptions, errorRateShare } from "./error-rate";
import { LatencyCheck, latencyDefaults, type LatencyOptions, latencyShare } from "./latency";
import { NewErrorsCheck, type NewErrorsOptions, newErrorsShare } from "./new-errors";
import { TailCheck, tailDefaults, type TailOptions, tailShare } from "./tail";

/**
 * The metric checks' share: judged beside the request checks by the judgement
 * (src/monitors/metric-judge.ts, split evenly over them) within the same alpha. Where a stack has
 * no metric checks their share is unspent: the request checks keep their levels.
 */
const metricsShare = 0.2;

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
 * over them (src/monitors/metric-judge.ts). At the default alpha 1.65% the levels are errors 1%,
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

/**
 * The checks, each at alpha x its share, in the order the judge feeds them a request and shows
 * them: error rate, latency, tail, new error signatures.
 */
export function canaryChecks(o: ResolvedCheckOptions, alpha: number, passShare: number, state: JudgeState): readonly CanaryCheck[] {
    const at = (weight: number): CheckContext => ({ alpha: alpha * weight, passShare, state });
    const errors = at(failWeights.errors);
    return [
        new ErrorRateCheck(o, errors),
        new LatencyCheck(o, at(failWeights.latency)),
        new TailCheck(o, at(failWeights.tail)),
        new NewErrorsCheck(o, at(failWeights.newErrors), { check: ErrorRateCheck.checkName, alpha: errors.alpha }),
    ];
}
