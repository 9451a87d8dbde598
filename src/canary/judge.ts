// The canary judge: the canary's requests against the baseline servers' over the same window,
// read as one stream in time order and looked at after every request. Every check is an
// anytime-valid confidence sequence (src/canary/sequential.ts), so the verdict may be taken the
// moment the evidence allows, in either direction. Each check is a module of ./checks (the judge
// is a loop over them; ./checks/index.ts lists them and their shares of alpha):
//   error-rate          odds ratio of a failed request (non-2xx or connection error), canary vs
//                       baseline, exact conditional likelihood of matched sets;
//   latency             scale ratio of successful requests' latency, within-set score test
//                       (clipped log latency against the set's median);
//   tail                odds ratio of a successful request slower than a threshold fixed from the
//                       baseline before the canary's first judged request (its p99), and slower
//                       than 1.5 times it, the two e-values averaged; a server's pause is one episode;
//   new-error: <sig>    odds ratio of one error signature the baseline has not shown: a failed
//                       request's error (the x-error header, optional), or a template of the
//                       app's own error log lines ("log: ...") carried by a request whatever its status.
// Fail: a check rejects "no worse than the baseline" (for latency: "no slower", and then only a
// slowness that is not the canary's own falling transient, is beyond half the tolerance or
// the service's own noise (latencyNoiseFloor), whichever is more, and still stands 3 s later; see LatencySequence.judgeSlower), at a false-failure rate of `alpha` over
// all checks and looks together (weighted Bonferroni, failWeights: errors 2, tail 0.4, latency
// 0.3, new signatures 0.4 parts of 3.3 of alpha, the k-th of them half of the previous one's share, and 0.2
// parts for the metric checks; once the
// error rate fails, the new signatures are tested in a chain at the error rate's level). Pass early: every effect's upper bound is
// inside its tolerance, at `passAlpha` over all checks. At the end of the bake an undecided
// canary is inconclusive, with what was ruled out.
// The metric checks (memory, CPU per request..., ./checks/metrics.ts), when the judge is given
// where to read them, are fed by the bake's poll (`metrics.poll()`) instead of requests, and are
// judged to the bake's end: no early pass then; any check's crossing before the end fails the
// canary (a metric check's too, even after the request checks passed); a pass needs the request
// checks' pass and every metric check passed with its data to the bake's end (`metrics.end()`).
// The canary's own warm-up, from the data: the latency check takes every request and tells a
// transient from a regression by the fall of the canary's own latency (judgeSlower); the tail
// check starts at the first canary request after its latency stops falling (WarmupDetector).
// Errors count from the first request: a fresh process that fails requests fails customers.
import { isFailed as failed } from "./series";
import type { Check, Sample } from "./checks/check";
import { canaryChecks, checkDefaults, type CheckOptions, failWeights } from "./checks";
import type { CanaryCheck, JudgedRequest, JudgeState } from "./checks/check";
import { type MetricChecksSetup, MetricsCheck } from "./checks/metrics";

export type { Check, Sample, TimedSample } from "./checks/check";
export { appLogPrefix } from "./checks/new-errors";
export { latencyStandMs } from "./checks/latency";
export { failWeights };
export type { MetricChecksSetup } from "./checks/metrics";

/** The judge's options: its own (below) and every check's (each documented in its module, ./checks). */
export interface JudgeOptions extends CheckOptions {
    /**
     * The bound on the false-failure rate per canary, over all checks and all looks (Ville's
     * inequality per check, weighted Bonferroni across them: each check is tested at alpha x its
     * share in failWeights). The measured A/A rate of the request checks is about a third of it (0.47% on the bench). @default 0.0165
     */
    readonly alpha?: number;
    /** Chance of an early pass while an effect is beyond its tolerance, over all checks. @default 0.05 */
    readonly passAlpha?: number;
    /** Warm-up: the halves of the canary's latency compared are at least this many successful requests. @default 16 */
    readonly warmupWindow?: number;
    /** Warm-up ends at the latest after this many canary requests (counted after warmupSeconds). @default 400 */
    readonly maxWarmupRequests?: number;
    /**
     * A warm-up the team knows its app needs (Kayenta's "begin canary analysis after", Argo's
     * initial delay): the canary's requests of its first this-many seconds (from its first
     * request) are left out of the latency and tail checks, before the detected warm-up starts.
     * Errors and new error signatures count from the first request. @default 0
     */
    readonly warmupSeconds?: number;
    /**
     * A fresh baseline runs beside the canary (a stable server started at the canary's bake, the
     * "fresh" group of `add`): the latency and tail checks compare the canary with it alone, from
     * its first request on (like with like: two processes of the same age, warming up together),
     * and the latency check's transient rule reads the canary's latency relative to it; errors and
     * error signatures are compared with every stable server, fresh or not. @default false
     */
    readonly freshBaseline?: boolean;
    /** Keep what the report shows: the latency confidence sequence on a grid of ratios, and the evidence over time (costs time in simulations). @default true */
    readonly intervals?: boolean;
}

export type Verdict = "pass" | "fail" | "inconclusive";

export interface Judgement {
    /** "undecided" only in a look before the end of the bake. */
    readonly verdict: Verdict | "undecided";
    readonly checks: readonly Check[];
    /** `fresh`: the fresh baseline's requests (also counted in `baseline`), when there is one. */
    readonly counts: { readonly baseline: number; readonly canary: number; readonly fresh?: number };
    /** Canary requests left out as the canary's warm-up by the tail check (warmupSeconds: by the latency check too; otherwise it judges the transient itself). */
    readonly warmup: number;
    /**
     * Canary requests when the verdict was reached: the first crossing, or the early pass (with
     * metric checks: the request checks' pass); all of the window's when undecided.
     */
    readonly decidedAfter: number;
    /** Effects ruled out, e.g. "error odds above 3.6x". */
    readonly ruledOut: readonly string[];
    /**
     * What an undecided canary still needed to pass, per effect not yet shown within its
     * tolerance: about how many more canary requests its pass-side evidence needs at the pace it
     * grew so far (its log evidence grows about linearly with the requests), or none when it has
     * not grown at all (no sign yet that the effect is within tolerance). Empty once it passed or failed.
     */
    readonly toPass?: readonly { readonly check: string; readonly moreCanaryRequests?: number }[];
    /** Each fail-side check's evidence over time, as log10(evidence / threshold): it fails at 0. At most 400 points. */
    readonly history?: readonly EvidencePoint[];
}

export interface EvidencePoint {
    /** Canary requests so far. */
    readonly canary: number;
    readonly evidence: Readonly<Record<string, number>>;
}

/** canaryAlpha's default: the checks' levels (./checks/index.ts) at 1%, 0.2%, 0.15%, 0.2%, 0.1%. */
export const defaultAlpha = 0.0165;

/** The judge's own defaults (the checks' are theirs: ./checks). */
const judgeDefaults: Required<Omit<JudgeOptions, keyof CheckOptions>> = { alpha: defaultAlpha, passAlpha: 0.05, warmupWindow: 16, maxWarmupRequests: 400, warmupSeconds: 0, freshBaseline: false, intervals: true };

/**
 * The canary's warm-up, from its own latency: the successful canary requests since `start`
 * are split in halves (each at least `minHalf`); while the older half's mean log latency is
 * above the newer's, the latency is falling: a transient (JIT, caches, pools),
 * and `start` moves to the middle, forgetting the older half. Once the halves agree the canary
 * is warm, and a steady latency, even a slow one, is the version itself. Decided from the
 * canary's own latency alone, before any comparison, so the tests started afterwards stay
 * valid (a test started at a stopping time of its own past is still a test).
 */
export class WarmupDetector {
    private readonly sum: number[] = [0];
    private start = 0;
    warm = false;

    constructor(
        private readonly minHalf: number,
        private readonly maxRequests: number,
    ) {}

    /** One canary request (the `canaryRequests`-th); true once the canary is warm. */
    add(s: Sample, canaryRequests: number): boolean {
        if (this.warm) {
            return true;
        }
        if (canaryRequests >= this.maxRequests) {
            this.warm = true;
            return true;
        }
        if (failed(s)) {
            return false;
        }
        const x = Math.log(Math.max(s.latencyMs, 0.5));
        const n = this.sum.length;
        this.sum.push(this.sum[n - 1] + x);
        const size = n - this.start;
        if (size < 2 * this.minHalf || size % 2 === 1) {
            return false;
        }
        const w = size / 2;
        const older = { mean: (this.sum[this.start + w] - this.sum[this.start]) / w };
        const newer = { mean: (this.sum[n] - this.sum[this.start + w]) / w };
        if (older.mean - newer.mean > 1e-9) {
            this.start += w;
        } else {
            this.warm = true;
        }
        return this.warm;
    }
}

/** The judge as a stream: feed requests in time order, read the verdict at any moment. */
export class CanaryJudge {
    private readonly o: typeof judgeDefaults & JudgeOptions;
    /** The checks, in the order they are fed and shown (./checks/index.ts). */
    readonly checks: readonly CanaryCheck[];
    private readonly warmup: WarmupDetector;
    private readonly crossed: Record<string, number> = {};
    private baselineCount = 0;
    private freshCount = 0;
    private canaryCount = 0;
    private warmupCount = 0;
    /** The canary's first request (epoch ms): warmupSeconds count from it. */
    private canaryStart?: number;
    /** Canary requests after warmupSeconds: the detected warm-up counts these. */
    private canaryAfterTimedWarmup = 0;
    private readonly history: EvidencePoint[] = [];
    private historyStep = 5;
    /**
     * The verdict once reached: it stands. With a check judged to the end (the metric checks) it
     * is only ever "fail" before the end: the pass is `judgement()`'s, at the end.
     */
    decision?: { verdict: "pass" | "fail"; after: number };
    /** With a check judged to the end: the other checks' pass (they were all within tolerance). */
    private passedAt?: number;
    /** The metric checks, when the judge was given where to read them: the bake polls them. */
    readonly metrics?: MetricsCheck;

    /** `sources.metrics`: where the metric checks read, and what (./checks/metrics.ts). @default - no metric checks */
    constructor(options: JudgeOptions = {}, sources: { readonly metrics?: MetricChecksSetup } = {}) {
        const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as JudgeOptions;
        this.o = { ...judgeDefaults, ...checkDefaults, ...given };
        const judge = this;
        const state: JudgeState = {
            get canaryRequests() {
                return judge.canaryCount;
            },
            get decided() {
                return judge.decision !== undefined;
            },
            crossedAt: (check) => this.crossed[check],
            cross: (check) => this.cross(check),
            look: () => this.maybePass(),
        };
        this.checks = canaryChecks({ ...checkDefaults, ...this.o }, this.o, state, sources.metrics);
        this.metrics = this.checks.find((c): c is MetricsCheck => c instanceof MetricsCheck);
        this.warmup = new WarmupDetector(this.o.warmupWindow, this.o.maxWarmupRequests);
        if (this.o.freshBaseline) {
            // Both sides start cold together: nothing to wait for.
            this.warmup.warm = true;
        }
    }

    /**
     * One request in time order: the canary's, a stable server's ("baseline"), or the fresh
     * baseline's ("fresh": a stable server as young as the canary, see `freshBaseline`; without
     * that option it is one more stable server).
     */
    add(group: "baseline" | "canary" | "fresh", t: number, s: Sample): void {
        const r: JudgedRequest = group === "canary" ? this.canaryRequest(t, s) : this.stableRequest(group, t, s);
        for (const check of this.checks) {
            check.see?.(r);
        }
        for (const check of this.checks) {
            check.add(r);
        }
        if (group === "canary" && this.o.intervals && this.canaryCount % this.historyStep === 0) {
            this.record();
        }
    }

    private stableRequest(group: "baseline" | "fresh", t: number, s: Sample): JudgedRequest {
        this.baselineCount++;
        this.freshCount += group === "fresh" ? 1 : 0;
        // With a fresh baseline, latency and tail compare the canary with it alone.
        const compared = !this.o.freshBaseline || group === "fresh";
        return { group, t, s, route: s.route ?? "", failed: failed(s), compared, uncompared: false, warmingUp: false };
    }

    /**
     * The canary's request, and where it stands in its warm-up: the latency check takes every one
     * after warmupSeconds (its test tells the canary's own transient from a regression, see
     * LatencySequence.judgeSlower); the tail check waits for the warm-up detector. With a fresh
     * baseline, the canary's requests before the fresh baseline's first are compared with nothing.
     */
    private canaryRequest(t: number, s: Sample): JudgedRequest {
        this.canaryCount++;
        this.canaryStart ??= t;
        const timedWarmup = t < this.canaryStart + this.o.warmupSeconds * 1000;
        const beforeFresh = this.o.freshBaseline && this.freshCount === 0;
        const warmingUp = timedWarmup || beforeFresh || !this.warmup.warm;
        if (warmingUp) {
            this.warmupCount++;
            if (!timedWarmup && !beforeFresh) {
                this.warmup.add(s, ++this.canaryAfterTimedWarmup);
            }
        }
        return { group: "canary", t, s, route: s.route ?? "", failed: failed(s), compared: false, uncompared: timedWarmup || beforeFresh, warmingUp };
    }

    /** The evidence now, relative to each check's threshold; the history halves its points when full. */
    private record(): void {
        const evidence: Record<string, number> = Object.assign({}, ...this.checks.map((c) => c.evidence()));
        this.history.push({ canary: this.canaryCount, evidence });
        if (this.history.length >= 400) {
            const kept = this.history.filter((_, i) => i % 2 === 1);
            this.history.splice(0, this.history.length, ...kept);
            this.historyStep *= 2;
        }
    }

    private cross(check: string): void {
        this.crossed[check] ??= this.canaryCount;
        if (!this.decision) {
            this.decision = { verdict: "fail", after: this.canaryCount };
        }
    }

    /**
     * An early pass: every check within tolerance (and no new error signature open). With a check
     * judged to the end, the others' pass: the canary passes when that one passes too.
     */
    private maybePass(): void {
        if (this.decision || this.passedAt !== undefined) {
            return;
        }
        const toTheEnd = this.checks.some((c) => c.toTheEnd);
        if (this.checks.every((c) => c.toTheEnd || c.withinTolerance())) {
            if (toTheEnd) {
                this.passedAt = this.canaryCount;
            } else {
                this.decision = { verdict: "pass", after: this.canaryCount };
            }
        }
    }

    /** The verdict now: the decision, or with checks judged to the end the others' pass and theirs. */
    private verdict(final: boolean): Judgement["verdict"] {
        if (this.decision) {
            return this.decision.verdict;
        }
        if (this.passedAt !== undefined && this.checks.every((c) => !c.toTheEnd || c.withinTolerance())) {
            return "pass";
        }
        return final ? "inconclusive" : "undecided";
    }

    /** The judgement now; `final` at the end of the bake turns an undecided canary inconclusive. */
    judgement(final = true): Judgement {
        const verdict = this.verdict(final);
        const decidedAfter = this.decision?.after ?? this.passedAt;
        return {
            verdict,
            checks: this.checks.flatMap((c) => c.rows()),
            counts: { baseline: this.baselineCount, canary: this.canaryCount, ...(this.o.freshBaseline ? { fresh: this.freshCount } : {}) },
            warmup: this.warmupCount,
            decidedAfter: decidedAfter ?? this.canaryCount,
            ruledOut: this.checks.flatMap((c) => c.ruledOut()),
            ...(decidedAfter !== undefined ? {} : { toPass: this.checks.map((c) => c.toPass()).filter((x): x is NonNullable<typeof x> => x !== undefined) }),
            ...(this.o.intervals ? { history: [...this.history] } : {}),
        };
    }
}

/**
 * Judges two lists of requests: merged in time order by `t` when they carry it, else spread
 * evenly over the same span.
 */
export function judge(baseline: readonly (Sample & { t?: number })[], canary: readonly (Sample & { t?: number })[], options: JudgeOptions = {}): Judgement {
    const stamp = (xs: readonly (Sample & { t?: number })[], group: "baseline" | "canary") => xs.map((s, i) => ({ group, t: s.t ?? (i + 0.5) / xs.length, s }));
    const stream = [...stamp(baseline, "baseline"), ...stamp(canary, "canary")].sort((a, b) => a.t - b.t);
    const j = new CanaryJudge(options);
    for (const r of stream) {
        j.add(r.group, r.t, r.s);
        if (j.decision) {
            break;
        }
    }
    return j.judgement(true);
}

export function formatJudgement(j: Judgement): string {
    const lines = [
        // a metric check can fail a canary before any of its requests was judged (on AWS the ALB's come after the bake)
        `verdict: ${j.verdict} ${j.verdict === "fail" && j.decidedAfter === 0 ? "before any canary request was judged" : `after ${j.decidedAfter} canary requests`} (canary ${j.counts.canary} requests, ${j.warmup} of them warm-up; baseline ${j.counts.baseline})`,
        ...(j.verdict !== "fail" && j.ruledOut.length > 0 ? [`ruled out: ${j.ruledOut.join(", ")}`] : []),
        ...(j.verdict === "inconclusive" && j.toPass && j.toPass.length > 0
            ? [`to pass it needed: ${j.toPass.map((x) => `${x.check} ${x.moreCanaryRequests !== undefined ? `about ${x.moreCanaryRequests} more canary requests` : "more traffic (no sign yet it is within tolerance)"}`).join(", ")}`]
            : []),
        "",
        "check                          result      evidence  detail",
    ];
    for (const c of j.checks) {
        const evidence = Number.isNaN(c.evidence) ? "-" : c.evidence.toExponential(1);
        // the whole name: a new error's is its message (a log template, an x-error header)
        lines.push(`${c.name.padEnd(30)} ${c.verdict.padEnd(10)} ${evidence.padStart(9)}  ${c.detail}${c.crossedAfter !== undefined ? ` (crossed after ${c.crossedAfter} canary requests)` : ""}`);
    }
    return lines.join("\n");
}
