// metric: <name>: the canary's metric checks (memory, CPU per request, the team's own), read by time
// from Prometheus or CloudWatch and judged step by step with the sequential sign test
// (src/monitors/metric-judge.ts, src/monitors/sign-sequence.ts). Fed by the bake's poll, not by
// requests. Judged to the bake's end (a leak shows over time):
//   fail       a metric check failed at any look, even after the request checks passed;
//   pass       every metric check passed with its data to the bake's end (after `end`);
//   undecided  otherwise: no data (Prometheus down, the canary not scraped) is never "no regression".
import { MetricJudge, type MetricJudgeOptions } from "../../monitors/metric-judge";
import type { CanaryCheck, Check, CheckContext } from "./check";

/** Where the metric checks read and what: everything but their levels, which the judge gives (./index.ts). */
export type MetricChecksSetup = Omit<MetricJudgeOptions, "alpha" | "passAlpha">;

/** Their share of alpha (./index.ts), split evenly over the metric checks. */
export const metricsShare = 0.2;

export class MetricsCheck implements CanaryCheck {
    readonly toTheEnd = true;
    private readonly metrics: MetricJudge;

    /** `passAlpha`: the chance of a metric check passing while beyond its tolerance, split evenly over them. */
    constructor(
        setup: MetricChecksSetup,
        private readonly c: CheckContext,
        passAlpha: number,
    ) {
        this.metrics = new MetricJudge({ ...setup, alpha: c.alpha, passAlpha });
    }

    /** The servers the canary is compared with. */
    get baseline(): readonly string[] {
        return this.metrics.baseline;
    }

    /** Reads every metric check's new steps (up to `now` less its lag); a check that failed fails the canary. Never throws. */
    async poll(now = Date.now()): Promise<void> {
        await this.metrics.poll(now);
        for (const name of this.metrics.failed()) {
            this.c.state.cross(name);
        }
    }

    /** The bake ended at `at` (epoch ms): from now on a metric check passes only with its data reaching it. */
    end(at: number): void {
        this.metrics.end(at);
    }

    /** Requests are not its evidence. */
    add(): void {}

    /** Every metric check passed (its pass side crossed, its data there). */
    withinTolerance(): boolean {
        return this.metrics.allPassed();
    }

    /** None in the history, which is per canary request: what each step read is in `evidenceRecord`. */
    evidence(): Record<string, number> {
        return {};
    }

    rows(): Check[] {
        return this.metrics.checks();
    }

    ruledOut(): string[] {
        return [];
    }

    toPass(): undefined {
        return undefined;
    }

    /** What each metric check read, point by point, for the record beside the judgement. */
    evidenceRecord(): ReturnType<MetricJudge["evidence"]> {
        return this.metrics.evidence();
    }

    /** Per metric check for the live line (formatMetricProgress). */
    progress(): ReturnType<MetricJudge["progress"]> {
        return this.metrics.progress();
    }
}
