// latency: the scale ratio of successful requests' latency, by a within-set score test (the
// canary's clipped log latency against its set's median), each canary request matched with
// baseline requests of its own route. It takes every canary request after `warmupSeconds` and
// tells the canary's own falling transient from a regression itself (LatencySequence.judgeSlower):
// it fails only on a slowness beyond half the tolerance or the service's own noise
// (`latencyNoiseFloor`; `latencyFloorMs` besides, if set), whichever is more, that still stands 3 s later.
import { LatencySequence, MatchedSet, RoutedSets } from "../sequential";
import { CanaryCheck, Check, CheckContext, CheckKey, JudgedRequest, morePassRequests, percentChange, relativeEvidence } from "./check";

export interface LatencyOptions {
    /** Latency within tolerance: at most this much slower (0.1 = +10%). The latency check fails only on a slowness beyond half of it (latencyFailMargin). @default 0.1 */
    readonly latencyTolerance?: number;
    /**
     * The latency check fails only on a slowness that matters: once "no slower" is rejected, the
     * canary's latency (geometric mean, over all its requests since the test's start and over
     * their newest third) must be beyond the baseline's by more than this share (0.05 = +5%), and after a
     * transient the test itself rejects "no slower than this share". @default - half of latencyTolerance
     */
    readonly latencyFailMargin?: number;
    /**
     * ... and by more than this many milliseconds as well (the largest of the floors counts): a
     * fixed floor for a team that knows what slowness does not matter to it. @default 0 (the
     * noise floor below instead; 2 until session 10, which hid +30% on a 5 ms service)
     */
    readonly latencyFloorMs?: number;
    /**
     * ... and by more than the service's own noise: the canary's latency beyond the baseline's x
     * exp(latencyNoiseFloor x sigma), sigma the spread of log latency between successive baseline
     * requests of one route, measured live over the same sets (LatencySequence.noiseShare). A
     * fast, steady service gets a small floor, a noisy one a larger one: 0.35 keeps it under +30%
     * up to sigma 0.75 (the sample app under the demo's load at a load average of 5: 1 to 11 ms a
     * request, sigma 0.54-0.84 measured) and at +5% (the margin) below sigma 0.14. 0: none. @default 0.35
     */
    readonly latencyNoiseFloor?: number;
}

export const latencyDefaults: Required<Omit<LatencyOptions, "latencyFailMargin">> = { latencyTolerance: 0.1, latencyFloorMs: 0, latencyNoiseFloor: 0.35 };

export const latencyKeys: readonly CheckKey<LatencyOptions>[] = [
    {
        type: "number", key: "canaryLatencyTolerance", option: "latencyTolerance", fallback: latencyDefaults.latencyTolerance, min: 0, max: 10, openMin: true, meaning: "how much slower the canary may be (0.1 = +10%)",
        description:
            "Canary judge: how much slower the canary may be and still pass (0.1 = +10%; a number above 0, at " +
            "most 10). It fails once proven slower by more than half of it.",
    },
    {
        type: "number", key: "canaryLatencyFloorMs", option: "latencyFloorMs", fallback: latencyDefaults.latencyFloorMs, min: 0, max: 10000, meaning: "the latency check fails only on a canary slower by more than this many milliseconds as well",
        description:
            "Canary judge: the latency check fails only on a canary slower by more than this many milliseconds as " +
            "well (a number from 0 to 10000; 0: none, the noise floor decides).",
    },
    {
        type: "number", key: "canaryLatencyNoiseFloor", option: "latencyNoiseFloor", fallback: latencyDefaults.latencyNoiseFloor, min: 0, max: 3, meaning: "the latency check fails only on a canary slower than the baseline x exp(this x the baseline's own sigma of log latency) as well",
        description:
            "Canary judge: the latency check fails only on a canary slower than the baseline x exp(this x sigma) " +
            "as well, sigma the baseline's own spread of log latency between successive requests of a route, " +
            "measured live (a number from 0 to 3; 0: none).",
    },
];

/** Its share of alpha (./index.ts): its fail side, against "no slower", spends about its whole level in A/A (0.11% at 1:3). */
export const latencyShare = 0.3;

/**
 * The fail side (LatencySequence.judgeSlower): a crossing is judged once the test has at least
 * this many sets since its start, enough to see a transient's fall (a cold start 3x slow,
 * decaying in 30 requests: its oldest third about 4 standard errors above its newest at 72;
 * bench/canary-judge.ts: 64 failed 6 of 4,000 such cold starts on latency, 72 none, +30% latency
 * failing after a median of 92 and 94 canary requests) ...
 */
const minWindow = 72;
/**
 * ... and spans at least this many ms: a server's pause (GC, a starved CPU) slows a run of its
 * requests for a moment (the recorded A/A: one server 2 ms slower than the other over a second's
 * 77 requests at p50 2 ms), a version for good. 2 s until issue 24: on the real engine at a load
 * average of 35 a healthy v2 canary of the demo (6 s bake) failed against its fresh baseline
 * after 4.6 s of comparison, p50 26 ms against 11 ms at 4 s, a process starved for seconds; the
 * regressions measured on the real engine were caught 3.7-9.6 s into the bake, after 5 s of
 * comparison or about then ...
 */
const minWindowMs = 5000;
/** ... and is a transient when the oldest third is above the newest by more than this many standard errors (a steady regression restarts in 16% of crossings). */
const fallZ = 1;
/**
 * ... and, once every rule above says fail, still stands this many ms later: the e-value at the
 * threshold and grown since then and since half-way, the canary still beyond the margin and floor. The
 * newest third of 5 s of comparison is under 2 s, which a pause covers: on the real engine at a
 * load average of 15 a healthy v2 canary of the demo failed against its fresh baseline after 316
 * canary requests, 6.4 s in (latency -14%..+73%), its evidence back to a 60th of the threshold
 * 35 requests later (issue 24). A regression that persists fails this much later.
 */
export const latencyStandMs = 3000;

interface Timed {
    readonly t: number;
    readonly latencyMs: number;
    readonly route: string;
}

export class LatencyCheck implements CanaryCheck {
    static readonly checkName = "latency";
    private readonly latency: LatencySequence;
    private readonly sets = new RoutedSets<Timed>((set) => this.onSet(set));

    constructor(
        private readonly o: typeof latencyDefaults & LatencyOptions & { readonly intervals: boolean; readonly freshBaseline: boolean },
        private readonly c: CheckContext,
    ) {
        this.latency = new LatencySequence(o.latencyTolerance, o.latencyFailMargin ?? o.latencyTolerance / 2, o.intervals, o.latencyFloorMs, o.freshBaseline, o.latencyNoiseFloor);
    }

    add(r: JudgedRequest): void {
        if (r.failed) {
            return;
        }
        const x = { t: r.t, latencyMs: r.s.latencyMs, route: r.route };
        if (r.group !== "canary") {
            if (r.compared) {
                this.sets.baseline(r.route, x);
            }
        } else if (r.uncompared) {
            this.sets.skipCanary(r.route);
        } else {
            this.sets.canary(r.route, x);
        }
    }

    private onSet(set: MatchedSet<Timed>): void {
        this.latency.add(
            set.canary.latencyMs,
            set.baseline.map((b) => b.latencyMs),
            set.canary.t,
            set.canary.route,
        );
        if (this.c.state.crossedAt(LatencyCheck.checkName) === undefined && this.latency.judgeSlower(Math.log(1 / this.c.alpha), minWindow, fallZ, minWindowMs, latencyStandMs) === "fail") {
            this.c.state.cross(LatencyCheck.checkName);
        }
        this.c.state.look();
    }

    /** log of the fail side's e-process since its start (against "no slower", see LatencySequence). */
    logEvidence(): number {
        return this.latency.slower.logEvidence();
    }

    withinTolerance(): boolean {
        return this.latency.passLogEvidence() >= Math.log(1 / this.c.passShare);
    }

    evidence(): Record<string, number> {
        return { [LatencyCheck.checkName]: relativeEvidence(this.logEvidence(), this.c.alpha) };
    }

    private interval() {
        return this.latency.interval(this.c.alpha, this.c.passShare);
    }

    rows(): Check[] {
        const l = this.latency.counts;
        const interval = this.interval();
        const crossedAfter = this.c.state.crossedAt(LatencyCheck.checkName);
        return [
            {
                name: LatencyCheck.checkName,
                verdict: crossedAfter !== undefined ? "fail" : this.withinTolerance() ? "pass" : "undecided",
                effect: "latency ratio",
                ...(interval ? { interval } : {}),
                evidence: Math.exp(this.logEvidence()),
                threshold: 1 / this.c.alpha,
                crossedAfter,
                canaryRequests: l.canary,
                baseline: l.baseline,
                canary: l.canary,
                detail: `${l.canary} successful canary requests scored among ${l.baseline} baseline neighbours${interval ? `; latency ${percentChange(interval.lower)}..${percentChange(interval.upper)}` : ""} (tolerance: +${(this.o.latencyTolerance * 100).toFixed(0)}%)${this.latency.noiseShare() > 0 ? `; noise floor +${(this.latency.noiseShare() * 100).toFixed(0)}% (the baseline's sigma ${(this.latency.noise ?? 0).toFixed(2)})` : ""}${this.latency.restarts > 0 ? `; the fail side started afresh ${this.latency.restarts} time(s) on a falling transient` : ""}${this.latency.fallen > 0 ? `; a slowness did not stand ${latencyStandMs / 1000} s ${this.latency.fallen} time(s) (a pause)` : ""}`,
            },
        ];
    }

    ruledOut(): string[] {
        const interval = this.interval();
        return interval && interval.upper < Infinity ? [`latency above ${percentChange(interval.upper)}`] : [];
    }

    toPass(): { check: string; moreCanaryRequests?: number } | undefined {
        return this.withinTolerance() ? undefined : morePassRequests(LatencyCheck.checkName, this.latency.passLogEvidence(), Math.log(1 / this.c.passShare), this.latency.counts.canary);
    }
}
