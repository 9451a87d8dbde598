// tail: the odds ratio of a successful request slower than a threshold fixed from the baseline
// before the canary's first judged request (its p99), and slower than 1.5 times it, the two
// e-values averaged; a server's pause is one episode. Starts at the first canary request after
// the canary's warm-up (the judge's WarmupDetector).
import { DifferenceSequence, MatchedSet, OddsSequence, RateSequence, RoutedSets } from "../sequential";
import { CanaryCheck, Check, CheckContext, CheckKey, JudgedRequest, morePassRequests, oddsRow, relativeEvidence, times } from "./check";
import { regressionPrior } from "./error-rate";

export interface TailOptions {
    /** Tail within tolerance: the canary's odds of a request above the threshold at most this many times the baseline's, or its share above it at most this many times 1 - tailQuantile. @default 2 */
    readonly tailOddsTolerance?: number;
    /** The tail threshold: the baseline's latency quantile before the canary is judged. @default 0.99 */
    readonly tailQuantile?: number;
    /** The tail check also counts requests above this many times the threshold (a second e-process, averaged with the first). @default 1.5 */
    readonly farTailFactor?: number;
    /**
     * After a set with a slow request (on either side), the tail check leaves out the sets of the
     * next this many ms: a server's pause (GC, a starved CPU) slows a run of its requests at
     * once, and counted one by one they are evidence an A/A on recorded traffic fails on. The
     * rule looks at a set's count of slow requests only, not at whose they are, so the sets kept
     * stay exchangeable. @default 100
     */
    readonly tailEpisodeMs?: number;
    /** The tail threshold in ms, fixed beforehand (e.g. from the baseline before the canary started). @default - the quantile of the first 300 successful baseline requests of the stream */
    readonly tailThresholdMs?: number;
}

export const tailDefaults: Required<Omit<TailOptions, "tailThresholdMs">> = { tailOddsTolerance: 2, tailQuantile: 0.99, farTailFactor: 1.5, tailEpisodeMs: 100 };

export const tailKeys: readonly CheckKey<TailOptions>[] = [
    {
        type: "number", key: "canaryTailOddsTolerance", option: "tailOddsTolerance", fallback: tailDefaults.tailOddsTolerance, min: 1, max: 100, openMin: true, meaning: "how many times the baseline's odds of a slow request the canary's may be",
        description:
            "Canary judge: how many times the baseline's odds of a slow request the canary's may be (a number " +
            "above 1, at most 100).",
    },
    {
        type: "number", key: "canaryTailQuantile", option: "tailQuantile", fallback: tailDefaults.tailQuantile, min: 0.5, max: 0.999, meaning: "the baseline quantile that makes a request slow",
        description:
            "Canary judge: the baseline latency quantile, fixed before the canary is judged, above which a " +
            "request is slow (a number from 0.5 to 0.999).",
    },
];

/** Its share of alpha (./index.ts): a p99 doubling needs a level of about 0.2%. */
export const tailShare = 0.4;

/** Successful baseline requests the threshold is fixed from, when not given. */
const calibrationRequests = 300;

interface Timed {
    readonly t: number;
    readonly latencyMs: number;
}

export class TailCheck implements CanaryCheck {
    static readonly checkName = "tail";
    private readonly odds = new OddsSequence();
    /** The same odds ratio above `farTailFactor` times the threshold: a p99 doubling puts most of its slow requests there, where the baseline has almost none. */
    private readonly farOdds = new OddsSequence();
    private readonly share = new RateSequence();
    /** The pass side's absolute tolerance: the canary's share above the threshold in points above the baseline's. */
    private readonly difference: DifferenceSequence;
    private sets?: RoutedSets<Timed>;
    private threshold?: number;
    private readonly calibration: number[] = [];
    /** Sets before this time (epoch ms) are left out: one slow episode, one set. */
    private episodeEnd = -Infinity;

    constructor(
        private readonly o: typeof tailDefaults & TailOptions,
        private readonly c: CheckContext,
    ) {
        // "odds at most 2x" at the baseline's 1% above its p99 is 2%: one point above it
        this.difference = new DifferenceSequence((o.tailOddsTolerance - 1) * (1 - o.tailQuantile));
        if (o.tailThresholdMs !== undefined) {
            this.fix(o.tailThresholdMs);
        }
    }

    private fix(thresholdMs: number): void {
        this.threshold = thresholdMs;
        this.sets = new RoutedSets((set) => this.onSet(set));
    }

    add(r: JudgedRequest): void {
        if (r.failed) {
            return;
        }
        const x = { t: r.t, latencyMs: r.s.latencyMs };
        if (r.group === "canary") {
            if (r.warmingUp) {
                this.sets?.skipCanary(r.route);
            } else {
                this.sets?.canary(r.route, x);
            }
        } else if (this.sets) {
            if (r.compared) {
                this.sets.baseline(r.route, x);
            }
        } else if (r.group === "baseline") {
            // the warm stable servers' latency fixes the threshold
            this.calibration.push(r.s.latencyMs);
            if (this.calibration.length >= calibrationRequests) {
                const sorted = [...this.calibration].sort((a, b) => a - b);
                this.fix(sorted[Math.min(sorted.length - 1, Math.floor(this.o.tailQuantile * sorted.length))]);
            }
        }
    }

    private onSet(set: MatchedSet<Timed>): void {
        const threshold = this.threshold as number;
        if (set.canary.t < this.episodeEnd) {
            return;
        }
        const above = set.canary.latencyMs > threshold;
        const baselineAbove = set.baseline.filter((b) => b.latencyMs > threshold).length;
        if (above || baselineAbove > 0) {
            this.episodeEnd = set.canary.t + this.o.tailEpisodeMs;
        }
        this.odds.add(above, baselineAbove, set.baseline.length);
        this.share.add(above);
        this.difference.add(above, baselineAbove, set.baseline.length);
        const far = threshold * this.o.farTailFactor;
        this.farOdds.add(set.canary.latencyMs > far, set.baseline.filter((b) => b.latencyMs > far).length, set.baseline.length);
        if (above || baselineAbove > 0) {
            if (this.logEvidence() >= Math.log(1 / this.c.alpha)) {
                this.c.state.cross(TailCheck.checkName);
            }
            this.c.state.look();
        }
    }

    /** log of the mean of the two thresholds' e-processes against "no more slow requests than the baseline" (a mean of e-processes is one). */
    logEvidence(): number {
        const a = this.odds.logOneSided(1, 1, regressionPrior);
        const b = this.farOdds.logOneSided(1, 1, regressionPrior);
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))) - Math.LN2;
    }

    /** The tail's odds ratio, or the canary's share above the threshold against the share the quantile leaves (1%). */
    withinTolerance(): boolean {
        const share = this.c.passShare / 2;
        return this.odds.below(this.o.tailOddsTolerance, share) || this.difference.within(share);
    }

    evidence(): Record<string, number> {
        return { [TailCheck.checkName]: relativeEvidence(this.logEvidence(), this.c.alpha) };
    }

    private interval() {
        return this.odds.bounds(this.c.alpha, this.c.passShare / 2);
    }

    rows(): Check[] {
        const row = oddsRow({
            name: TailCheck.checkName,
            c: this.c,
            odds: this.odds,
            logEvidence: this.logEvidence(),
            withinTolerance: this.withinTolerance(),
            event: `above ${this.threshold} ms:`,
            canaryUpper: { upper: this.share.interval(this.c.passShare / 2).upper, is: "share" },
            oddsTolerance: this.o.tailOddsTolerance,
            difference: this.difference,
        });
        return [this.threshold === undefined ? { ...row, detail: `threshold not fixed yet (needs ${calibrationRequests} successful baseline requests)` } : row];
    }

    ruledOut(): string[] {
        const upper = this.interval().upper;
        return upper < Infinity ? [`tail odds above ${times(upper)}`] : [];
    }

    toPass(): { check: string; moreCanaryRequests?: number } | undefined {
        if (this.withinTolerance()) {
            return undefined;
        }
        const logE = Math.max(this.odds.logOneSided(this.o.tailOddsTolerance, -1), this.difference.logEvidence());
        return morePassRequests(TailCheck.checkName, logE, Math.log(2 / this.c.passShare), this.odds.counts.canary);
    }
}
