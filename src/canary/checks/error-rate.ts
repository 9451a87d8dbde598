// error-rate: the odds ratio of a failed request (non-2xx or a connection error), canary vs
// baseline, by the exact conditional likelihood of matched sets of every request (an error burst
// on every server cancels). Counts from the canary's first request: a fresh process that fails
// requests fails customers.
import { DifferenceSequence, MatchedSet, MatchedSets, OddsSequence, RateSequence } from "../sequential";
import { CanaryCheck, Check, CheckContext, CheckKey, JudgedRequest, morePassRequests, oddsRow, pct, relativeEvidence, times } from "./check";

export interface ErrorRateOptions {
    /** Errors within tolerance: the canary's odds of failing at most this many times the baseline's. @default 1.5 */
    readonly errorOddsTolerance?: number;
    /**
     * ... or the canary's error rate at most this many points above the baseline's (0.01 = 1
     * percentage point; with a baseline that never fails, a canary rate below 1%): a ratio says
     * little at low rates (0.5% on both sides cannot be shown within 1.5x by 2,000 canary requests;
     * within 1 point it is, after about 900). @default 0.01
     */
    readonly errorRateFloor?: number;
}

export const errorRateDefaults: Required<ErrorRateOptions> = { errorOddsTolerance: 1.5, errorRateFloor: 0.01 };

export const errorRateKeys: readonly CheckKey<ErrorRateOptions>[] = [
    {
        type: "number", key: "canaryErrorOddsTolerance", option: "errorOddsTolerance", fallback: errorRateDefaults.errorOddsTolerance, min: 1, max: 100, openMin: true, meaning: "how many times the baseline's odds of failing the canary's may be",
        description:
            "Canary judge: how many times the baseline's odds of a failed request the canary's may be and still " +
            "pass (a number above 1, at most 100).",
    },
    {
        type: "number", key: "canaryErrorRateFloor", option: "errorRateFloor", fallback: errorRateDefaults.errorRateFloor, min: 0, max: 0.5, meaning: "a canary error rate proven at most this many points above the baseline's passes the error check",
        description:
            "Canary judge: the error check's absolute tolerance: a canary error rate proven at most this many " +
            "points above the baseline's passes it (0.01 = 1 percentage point; a number from 0 to 0.5).",
    },
];

/** Its share of alpha (./index.ts): the most, as a 5x error regression needs a level of about 1%. */
export const errorRateShare = 2;

/** The fail side's mixture for the error and tail odds: centred on a 4x regression (sequential.ts, regressionPrior). */
export const regressionPrior = OddsSequence.regressionPrior(4, 0.7);

interface Timed {
    readonly t: number;
    readonly failed: boolean;
}

export class ErrorRateCheck implements CanaryCheck {
    static readonly checkName = "error-rate";
    private readonly odds = new OddsSequence();
    /** The canary's own rate, every request. */
    private readonly rate = new RateSequence();
    /** The pass side's absolute tolerance: the canary's rate in points above the baseline's. */
    private readonly difference: DifferenceSequence;
    private readonly sets = new MatchedSets<Timed>((set) => this.onSet(set));

    constructor(
        private readonly o: Required<ErrorRateOptions>,
        private readonly c: CheckContext,
    ) {
        this.difference = new DifferenceSequence(o.errorRateFloor);
    }

    add(r: JudgedRequest): void {
        const x = { t: r.t, failed: r.failed };
        if (r.group === "canary") {
            this.rate.add(r.failed);
            this.sets.canary(x);
        } else {
            this.sets.baseline(x);
        }
    }

    private onSet(set: MatchedSet<Timed>): void {
        const canaryFailed = set.canary.failed;
        const baselineFailed = set.baseline.filter((b) => b.failed).length;
        const m = set.baseline.length;
        this.odds.add(canaryFailed, baselineFailed, m);
        this.difference.add(canaryFailed, baselineFailed, m);
        if (canaryFailed || baselineFailed > 0) {
            if (this.logEvidence() >= Math.log(1 / this.c.alpha)) {
                this.c.state.cross(ErrorRateCheck.checkName);
            }
            this.c.state.look();
        }
    }

    /** log of the e-process against "the canary fails no more often than the baseline" (the mixture over the regression prior). */
    logEvidence(): number {
        return this.odds.logOneSided(1, 1, regressionPrior);
    }

    /**
     * Within tolerance by either of two ways, each at half of the effect's pass share: the odds
     * ratio, or the canary's rate at most the floor in points above the baseline's (with a
     * baseline that never fails, the canary's rate below the floor).
     */
    withinTolerance(): boolean {
        const share = this.c.passShare / 2;
        return this.odds.below(this.o.errorOddsTolerance, share) || this.difference.within(share);
    }

    evidence(): Record<string, number> {
        return { [ErrorRateCheck.checkName]: relativeEvidence(this.logEvidence(), this.c.alpha) };
    }

    private interval() {
        return this.odds.bounds(this.c.alpha, this.c.passShare / 2);
    }

    private rateUpper(): number {
        return this.rate.interval(this.c.passShare / 2).upper;
    }

    rows(): Check[] {
        return [
            oddsRow({
                name: ErrorRateCheck.checkName,
                c: this.c,
                odds: this.odds,
                logEvidence: this.logEvidence(),
                withinTolerance: this.withinTolerance(),
                event: "failed",
                canaryUpper: { upper: this.rateUpper(), is: "rate" },
                oddsTolerance: this.o.errorOddsTolerance,
                difference: this.difference,
            }),
        ];
    }

    ruledOut(): string[] {
        const upper = this.interval().upper;
        const rateUpper = this.rateUpper();
        return [...(upper < Infinity ? [`error odds above ${times(upper)}`] : []), ...(rateUpper < 1 ? [`a canary error rate above ${pct(rateUpper)}`] : [])];
    }

    toPass(): { check: string; moreCanaryRequests?: number } | undefined {
        if (this.withinTolerance()) {
            return undefined;
        }
        const logE = Math.max(this.odds.logOneSided(this.o.errorOddsTolerance, -1), this.difference.logEvidence());
        return morePassRequests(ErrorRateCheck.checkName, logE, Math.log(2 / this.c.passShare), this.odds.counts.canary);
    }
}
