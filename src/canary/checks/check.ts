// What every canary check is: a module that takes the judge's requests in time order, keeps its
// own anytime-valid evidence (src/canary/sequential.ts), and says at any moment whether it fails
// (its evidence against "no worse than the baseline" at its share of alpha), whether its effect is
// shown within tolerance (its pass side), and what the judgement shows of it. The judge
// (src/canary/judge.ts) is a loop over the checks (./index.ts lists them); adding a check is adding
// a module here and a line there.
import type { NumberKey } from "../../release/config";
import type { DifferenceSequence, Interval, OddsSequence } from "../sequential";

export interface Sample {
    /** HTTP status; 0 for a connection error or time-out. */
    readonly status: number;
    readonly latencyMs: number;
    /** A normalised error message or log line, for failed requests. */
    readonly error?: string;
    /**
     * The request's route (method and path template, e.g. "GET /products"): the latency and tail
     * checks match a canary request with baseline requests of its own route, so that a window's
     * mix of cheap and slow pages cannot decide. @default - one route for all
     */
    readonly route?: string;
    /**
     * Error signatures the request carries whatever its status, e.g. templates of the app's own
     * error log lines written while it was served ("log: <template>"). @default - none
     */
    readonly signatures?: readonly string[];
}

export interface TimedSample extends Sample {
    /** Epoch milliseconds when the request ended. */
    readonly t: number;
}

/** One check's row in a judgement. */
export interface Check {
    readonly name: string;
    readonly verdict: "pass" | "fail" | "undecided";
    /** What the interval bounds: "odds ratio", "latency ratio", "error rate". */
    readonly effect: string;
    readonly interval?: Interval;
    /** The e-value against "no worse" (the failing side); the check fails when it reaches `threshold`. */
    readonly evidence: number;
    readonly threshold: number;
    /** Canary requests judged when the check crossed. */
    readonly crossedAfter?: number;
    /** Canary requests the check used so far. */
    readonly canaryRequests: number;
    /** A new error signature: when the canary first showed it (epoch ms). */
    readonly firstSeen?: number;
    readonly baseline: number;
    readonly canary: number;
    readonly detail: string;
}

/** A request as the judge hands it to every check, with what the judge decided about it. */
export interface JudgedRequest {
    /** The canary's, a stable server's, or the fresh baseline's (a stable server as young as the canary). */
    readonly group: "baseline" | "canary" | "fresh";
    readonly t: number;
    readonly s: Sample;
    /** s.route, or "" (one route for all). */
    readonly route: string;
    /** A failed request (non-2xx or a connection error). */
    readonly failed: boolean;
    /** A stable server's request that the latency and tail compare the canary with: every one, or with a fresh baseline the fresh one's alone. */
    readonly compared: boolean;
    /** A canary request compared with nothing: within `warmupSeconds`, or before the fresh baseline's first request. */
    readonly uncompared: boolean;
    /** A canary request within its warm-up (uncompared, or before the warm-up detector says warm). */
    readonly warmingUp: boolean;
}

/** What a check may read of the judge and tell it. */
export interface JudgeState {
    /** Canary requests so far (the one being judged included). */
    readonly canaryRequests: number;
    /** The verdict is reached (it stands; checks may still cross, for the report). */
    readonly decided: boolean;
    /** The canary requests judged when the named check first crossed, if it did. */
    crossedAt(check: string): number | undefined;
    /** The named check crossed: its first crossing is kept, and the first of all decides "fail". */
    cross(check: string): void;
    /** The check's evidence moved: the judge sees whether every check is now within tolerance (an early pass, or with a check judged to the end, the others' pass). */
    look(): void;
}

/** How a check is set up by the judge: its level and the state it reads and tells. */
export interface CheckContext {
    /** Its fail side's level: alpha x its share (weighted Bonferroni, ./index.ts). */
    readonly alpha: number;
    /** Each effect's share of passAlpha (the pass side). */
    readonly passShare: number;
    readonly state: JudgeState;
}

export interface CanaryCheck {
    /**
     * Judged to the bake's end (the metric checks, ./metrics.ts: a leak shows over time): while
     * there is such a check the bake never ends early on a pass, any check's crossing before the
     * end fails the canary, and the canary passes when the other checks passed and this one is
     * within tolerance. @default false
     */
    readonly toTheEnd?: boolean;
    /**
     * Every request as it arrives, before any check judges it, for what the other checks' looks
     * read (the new-error check's open signatures hold back a pass). @default - nothing
     */
    see?(r: JudgedRequest): void;
    /** Every request in time order: the check's evidence, its crossings and looks. */
    add(r: JudgedRequest): void;
    /** The pass side: its effect is shown within tolerance (an early pass needs every check's). */
    withinTolerance(): boolean;
    /** Its fail sides' evidence now, as log10(evidence / threshold) by name (0 = it fails): the judgement's history. */
    evidence(): Record<string, number>;
    /** Its rows in the judgement. */
    rows(): Check[];
    /** Effects ruled out so far, e.g. "error odds above 3.6x". */
    ruledOut(): string[];
    /** When not within tolerance: about how many more canary requests its pass side needs at its pace so far (none: no sign yet). */
    toPass(): { readonly check: string; readonly moreCanaryRequests?: number } | undefined;
}

/** A stack config key that sets one of a check's options: a row of the config table (src/release/config.ts). */
export type CheckKey<O> = NumberKey<O> & { readonly type: "number"; readonly option: keyof O & string };

/** log10 of an e-value relative to its threshold 1/alpha (0 = the check fails). */
export const relativeEvidence = (logE: number, alpha: number): number => (logE + Math.log(alpha)) / Math.LN10;

/** How far a pass side is: about how many more requests at its pace so far, or none when it has not grown. */
export function morePassRequests(check: string, logE: number, threshold: number, n: number): { check: string; moreCanaryRequests?: number } {
    return logE > 0 && n > 0 && Number.isFinite(logE) ? { check, moreCanaryRequests: Math.ceil((n * threshold) / logE - n) } : { check };
}

export const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
export const times = (x: number): string => (x === Infinity ? "∞" : `${x.toFixed(x < 10 ? 2 : 1)}x`);
export const percentChange = (x: number): string => (x === Infinity ? "∞" : `${x >= 1 ? "+" : ""}${((x - 1) * 100).toFixed(0)}%`);

/** An odds-ratio check (error rate, tail): what its row shows of it. */
export interface OddsCheck {
    readonly name: string;
    readonly c: CheckContext;
    /** The odds of its event, canary vs baseline, in matched sets. */
    readonly odds: OddsSequence;
    /** Its fail side's log e-value. */
    readonly logEvidence: number;
    readonly withinTolerance: boolean;
    /** The event, before its rates in the detail: "failed", "above 12 ms:". */
    readonly event: string;
    /** The upper bound of the canary's own rate of the event, and what the detail calls it ("rate", "share"). */
    readonly canaryUpper: { readonly upper: number; readonly is: string };
    readonly oddsTolerance: number;
    /** The pass side's absolute tolerance: the canary's rate at most `margin` points above the baseline's. */
    readonly difference: DifferenceSequence;
}

/**
 * An odds-ratio check's row: failed once it crossed; its interval at its level (the upper bound at
 * half its pass share, the odds' half of the pass side); the rates of the event on either side.
 */
export function oddsRow(x: OddsCheck): Check {
    const e = x.odds.counts;
    const interval = x.odds.bounds(x.c.alpha, x.c.passShare / 2);
    const crossedAfter = x.c.state.crossedAt(x.name);
    const canary = e.canary ? e.canaryEvents / e.canary : 0;
    const baseline = e.baseline ? e.baselineEvents / e.baseline : 0;
    const shown = x.difference.within(x.c.passShare / 2) ? ": shown" : "";
    return {
        name: x.name,
        verdict: crossedAfter !== undefined ? "fail" : x.withinTolerance ? "pass" : "undecided",
        effect: "odds ratio",
        interval,
        evidence: Math.exp(x.logEvidence),
        threshold: 1 / x.c.alpha,
        crossedAfter,
        canaryRequests: e.canary,
        baseline,
        canary,
        detail: `${x.event} ${pct(canary)} vs ${pct(baseline)}; odds ratio ${times(interval.lower)}..${times(interval.upper)}, canary ${x.canaryUpper.is} below ${pct(x.canaryUpper.upper)} (tolerance: ${times(x.oddsTolerance)} or at most ${(x.difference.margin * 100).toFixed(2)} points above the baseline's${shown})`,
    };
}
