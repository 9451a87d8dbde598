// The canary's metric checks through a bake: each check's query, filled in per server, read from
// its source (source.ts: Prometheus' query_range, one step a second; CloudWatch's GetMetricData on
// AWS, a step a period) for the canary and every baseline server, and judged step by step with the
// sequential sign test of sign-sequence.ts, whatever the source. A check of the canary judge
// (src/canary/checks/metrics.ts), polled by the bake beside HAProxy's log; every read is bounded in points and time.
// Prometheus down, a read failing or a server with no series (not scraped) is said in the check's
// detail, and such a check never passes: "no data" is never read as "no regression". Once the
// bake's end is known (end()), a check passes only with data to that end: a Prometheus that went
// down, or a canary (or baseline) no longer scraped, in the bake's last seconds leaves it
// undecided, with when the data stopped and why. A failure stands whatever comes after (each
// check's evidence is anytime-valid: a gap takes nothing from the steps before it).
import type { Check } from "../canary/checks/check";
import type { MetricCheckConfig } from "./config";
import { cumulativeMinSeconds } from "./config";
import type { RangeSeries } from "./prometheus";
import { type MetricSource, PrometheusSource } from "./source";
import { median, MetricSequence } from "./sign-sequence";

export interface MetricJudgeOptions {
    /** Prometheus' HTTP API and each server's `{instance}`. @default - `source` */
    readonly prometheus?: { readonly url: string; readonly instances: Readonly<Record<string, string>> };
    /** Where the values are read (CloudWatch on AWS). @default - a PrometheusSource of `prometheus` */
    readonly source?: MetricSource;
    readonly checks: readonly MetricCheckConfig[];
    readonly canary: string;
    readonly baseline: readonly string[];
    /** The bake's start (epoch ms): the first step judged. */
    readonly from: number;
    /** The metric checks' share of the judge's alpha (src/canary/checks/index.ts, failWeights.metrics): split evenly over the checks. */
    readonly alpha: number;
    /** The chance of a metric check passing while the canary is beyond its tolerance: split evenly over the checks. @default 0.05 */
    readonly passAlpha?: number;
    /** A check's step unless it has its own (MetricCheckConfig.stepSeconds). @default 1 */
    readonly stepSeconds?: number;
    /** Steps this recent are not read yet: their scrapes may not have landed (two scrape intervals), unless a check has its own lag. @default 2 */
    readonly lagSeconds?: number;
    /** @default 5000 */
    readonly readTimeoutMs?: number;
}

/** One step of one check: the values read and whether the canary was beyond the tolerance. */
export interface MetricPoint {
    /** Epoch seconds. */
    readonly t: number;
    readonly canary: number;
    /** Per baseline server with a value at that step. */
    readonly baseline: Readonly<Record<string, number>>;
    readonly worse: boolean;
}

/** A run of failed reads: from its first failure to the next read that succeeded (none: it lasted to the end). */
export interface ReadOutage {
    /** Epoch ms. */
    readonly from: number;
    to?: number;
    readonly error: string;
    failed: number;
}

/** What a check read, kept with the judgement (`<report>.metrics.json`). */
export interface MetricEvidence {
    readonly name: string;
    readonly query: string;
    readonly better: "lower" | "higher";
    readonly tolerance: number;
    /** Where it was read ("Prometheus", "CloudWatch") and the seconds between two points. */
    readonly source: string;
    readonly stepSeconds: number;
    readonly verdict: Check["verdict"];
    readonly why?: string;
    readonly points: readonly MetricPoint[];
    readonly reads: { readonly ok: number; readonly failed: number; readonly lastError?: string };
    /** The runs of failed reads (at most maxOutages; later ones are counted in reads.failed). */
    readonly outages: readonly ReadOutage[];
    /** The step at which the check failed (epoch s). */
    readonly failedAt?: number;
    /** The last step read (epoch s), and the last with the canary's value and with a baseline value. */
    readonly readThrough?: number;
    readonly lastCanary?: number;
    readonly lastBaseline?: number;
    /** Steps judged, and steps left out: the warm-up, and those missing the canary's value or every baseline value. */
    readonly steps: { readonly judged: number; readonly warmup: number; readonly missing: number };
}

/** A metric check's name in the verdict: `metric: <name>`. */
export const metricCheckPrefix = "metric: ";

/** Points kept per check: an hour of steps; later steps are judged but not kept. */
const maxPoints = 3600;
/** Runs of failed reads kept per check. */
const maxOutages = 50;
/**
 * At the bake's end, a check's data must reach this close to it: a canary whose values stopped
 * earlier (not scraped, its exporter down) or a Prometheus not read for the last seconds leaves
 * the check undecided. Two scrape intervals and the lag, with room for a slow scrape.
 */
const maxTrailingGapSeconds = 10;

interface CheckState {
    readonly config: MetricCheckConfig;
    /** `{from}`: the warm-up's end (epoch s). */
    readonly since: number;
    /** The first step judged (epoch s): the warm-up's end, or cumulativeMinSeconds later for a query over the bake so far. */
    readonly judgedFrom: number;
    readonly seq: MetricSequence;
    /** Its step and lag (s): the check's own, else the judge's. */
    readonly step: number;
    readonly lag: number;
    /** The next step to read (epoch seconds). */
    cursor: number;
    readonly points: MetricPoint[];
    reads: { ok: number; failed: number; lastError?: string };
    outages: ReadOutage[];
    lastCanary?: number;
    lastBaseline?: number;
    missing: number;
    warmup: number;
    /** The query's own error (bad_data...), or a result Prometheus gives but the check cannot use (several series). */
    queryError?: string;
    failedAtStep?: number;
    /** The canary's server had a series at least once. */
    canarySeen: boolean;
}

/** Three significant digits, with k, M, G: 211.5M, 0.0013, 300. */
const fmt = (x: number): string => {
    const a = Math.abs(x);
    const [d, unit] = a >= 1e9 ? [1e9, "G"] : a >= 1e6 ? [1e6, "M"] : a >= 1e4 ? [1e3, "k"] : [1, ""];
    return Number.isFinite(x) ? `${Number((x / d).toPrecision(3))}${unit}` : String(x);
};

export class MetricJudge {
    private readonly source: MetricSource;
    private readonly states: CheckState[];
    /** The bake's end (epoch s), once known: then a check passes only with data to it. */
    private endS?: number;

    constructor(private readonly o: MetricJudgeOptions) {
        if (!o.source && !o.prometheus) {
            throw new Error("MetricJudge: neither source nor prometheus is set");
        }
        this.source = o.source ?? new PrometheusSource(o.prometheus?.url ?? "", o.prometheus?.instances ?? {}, o.readTimeoutMs ?? 5000);
        this.states = o.checks.map((config) => {
            const step = config.stepSeconds ?? o.stepSeconds ?? 1;
            const since = Math.ceil(o.from / 1000 + (config.warmupSeconds ?? 0));
            const judgedFrom = config.query.includes("{from}") ? since + cumulativeMinSeconds : o.from / 1000 + (config.warmupSeconds ?? 0);
            // the first step at or after the bake's start (a period's end on CloudWatch)
            const first = Math.ceil(o.from / 1000 / step) * step;
            return { config, since, judgedFrom, seq: new MetricSequence(config.better, config.tolerance), step, lag: config.lagSeconds ?? o.lagSeconds ?? 2, cursor: first, points: [], reads: { ok: 0, failed: 0 }, outages: [], missing: 0, warmup: 0, canarySeen: false };
        });
    }

    /** The servers the canary is compared with. */
    get baseline(): readonly string[] {
        return this.o.baseline;
    }

    /** Each check's level on its fail side. */
    get checkAlpha(): number {
        return this.o.alpha / Math.max(1, this.o.checks.length);
    }

    private get passLevel(): number {
        return (this.o.passAlpha ?? 0.05) / Math.max(1, this.o.checks.length);
    }

    /** The bake ended at `at` (epoch ms): from now on a check passes only with its data reaching it. */
    end(at: number): void {
        this.endS = Math.floor(at / 1000);
    }

    /** Reads every check's new steps (up to `now` less the lag) and judges them; never throws. */
    async poll(now = Date.now()): Promise<void> {
        await Promise.all(this.states.filter((s) => s.failedAtStep === undefined && s.queryError === undefined).map((s) => this.pollCheck(s, now)));
    }

    private async pollCheck(s: CheckState, now: number): Promise<void> {
        // never past the bake's end, once known; each read within the source's bound
        const latest = Math.min(Math.floor(now / 1000) - s.lag, this.endS ?? Infinity);
        const end = Math.min(Math.floor(latest / s.step) * s.step, s.cursor + (this.source.maxSteps - 1) * s.step);
        if (end < s.cursor) {
            return;
        }
        const servers = [this.o.canary, ...this.o.baseline];
        let results: RangeSeries[][];
        try {
            results = await Promise.all(servers.map((server) => this.source.read({ check: s.config, server, start: s.cursor, end, stepSeconds: s.step, since: s.since })));
        } catch (e) {
            s.reads.failed++;
            const { why, refused } = this.source.failure(e);
            s.reads.lastError = `${this.source.label}: ${why}`;
            const open = s.outages[s.outages.length - 1];
            if (open && open.to === undefined) {
                open.failed++;
            } else if (s.outages.length < maxOutages) {
                s.outages.push({ from: now, error: s.reads.lastError, failed: 1 });
            }
            if (refused) {
                s.queryError = why; // the query itself: reading it again gives the same
            }
            return;
        }
        s.reads.ok++;
        const open = s.outages[s.outages.length - 1];
        if (open && open.to === undefined) {
            open.to = now;
        }
        const several = results.findIndex((r) => r.length > 1);
        if (several >= 0) {
            s.queryError = `the query gives ${results[several].length} series for ${servers[several]}; it must give one per server (aggregate it, e.g. sum(...))`;
            return;
        }
        const values = results.map((r) => new Map((r[0]?.values ?? []).filter(([, v]) => Number.isFinite(v)).map(([t, v]) => [t, v])));
        if (values[0].size > 0) {
            s.canarySeen = true;
        }
        for (let t = s.cursor; t <= end; t += s.step) {
            if (t < s.judgedFrom) {
                s.warmup++;
                continue;
            }
            const canary = values[0].get(t);
            const baseline = Object.fromEntries(this.o.baseline.flatMap((b, i) => (values[i + 1].has(t) ? [[b, values[i + 1].get(t) as number]] : [])));
            if (canary !== undefined) {
                s.lastCanary = t;
            }
            if (Object.keys(baseline).length > 0) {
                s.lastBaseline = t;
            }
            if (canary === undefined || Object.keys(baseline).length === 0) {
                s.missing++;
                continue;
            }
            const worse = s.seq.add(canary, Object.values(baseline));
            if (s.points.length < maxPoints) {
                s.points.push({ t, canary, baseline, worse });
            }
            if (s.failedAtStep === undefined && s.seq.fail.logEvidence() >= Math.log(1 / this.checkAlpha)) {
                s.failedAtStep = s.seq.fail.steps;
                break;
            }
        }
        s.cursor = end + s.step;
    }

    private verdictOf(s: CheckState): Check["verdict"] {
        if (s.failedAtStep !== undefined) {
            return "fail";
        }
        return this.whyUndecided(s) === undefined && s.seq.pass.logEvidence() >= Math.log(1 / this.passLevel) ? "pass" : "undecided";
    }

    /** Why a check cannot be read as "no regression" (no data, failed reads, a bad query); undefined when its data are there. */
    private whyUndecided(s: CheckState): string | undefined {
        if (s.queryError) {
            return `${this.source.name} refused the query: ${s.queryError}`;
        }
        if (s.reads.ok === 0 && s.reads.failed > 0) {
            return `no read succeeded (${s.reads.failed} failed; last: ${s.reads.lastError})`;
        }
        if (s.reads.ok > 0 && !s.canarySeen) {
            return `no data for the canary ${this.o.canary} (not scraped, or the query matches none of its series)`;
        }
        if (this.endS !== undefined) {
            // a step of more than a second: its last one may end up to a step before the bake's end
            const wanted = this.endS - maxTrailingGapSeconds - (s.step - 1);
            const readThrough = s.cursor - s.step;
            const at = (t: number) => new Date(t * 1000).toISOString();
            const open = s.outages[s.outages.length - 1];
            if (readThrough < wanted) {
                const failing = open && open.to === undefined ? `; reads failing since ${new Date(open.from).toISOString()} (${open.failed}): ${open.error}` : "";
                return `${this.source.name} not read after ${at(readThrough)}: the bake's last ${this.endS - readThrough} s unread${failing}`;
            }
            // no series at any step past the warm-up (e.g. a host whose exporter stopped during it)
            if (s.lastCanary === undefined && s.missing > 0) {
                return `no value for the canary ${this.o.canary} at any step judged (${s.missing} missing after the warm-up: no longer scraped, or its series ended)`;
            }
            if (s.lastBaseline === undefined && s.missing > 0) {
                return `no value for the baseline (${this.o.baseline.join(", ")}) at any step judged (${s.missing} missing after the warm-up: no longer scraped, or its series ended)`;
            }
            if (s.lastCanary !== undefined && s.lastCanary < wanted) {
                return `no value for the canary ${this.o.canary} after ${at(s.lastCanary)}, ${this.endS - s.lastCanary} s before the bake's end (no longer scraped, or its series ended)`;
            }
            if (s.lastBaseline !== undefined && s.lastBaseline < wanted) {
                return `no value for the baseline (${this.o.baseline.join(", ")}) after ${at(s.lastBaseline)}, ${this.endS - s.lastBaseline} s before the bake's end (no longer scraped, or its series ended)`;
            }
        }
        if (s.reads.failed > 0 && s.reads.failed >= s.reads.ok) {
            return `most reads failed (${s.reads.failed} of ${s.reads.ok + s.reads.failed}; last: ${s.reads.lastError})`;
        }
        if (s.seq.fail.steps > 0 && s.missing > s.seq.fail.steps) {
            return `more steps missing than judged (${s.missing} missing: the canary's or every baseline server's value absent)`;
        }
        return undefined;
    }

    /** "fail" once any check failed; undefined otherwise (the metric checks never end a bake early on a pass: a leak shows over time). */
    get decision(): "fail" | undefined {
        return this.states.some((s) => s.failedAtStep !== undefined) ? "fail" : undefined;
    }

    /** The checks that failed, by their name in the verdict (`metric: <name>`). */
    failed(): string[] {
        return this.states.filter((s) => s.failedAtStep !== undefined).map((s) => `${metricCheckPrefix}${s.config.name}`);
    }

    /** Every check passed (its pass side crossed, its data there, none failed). */
    allPassed(): boolean {
        return this.states.every((s) => this.verdictOf(s) === "pass");
    }

    /** The checks as the judge's verdict lists them: `metric: <name>`. */
    checks(): Check[] {
        return this.states.map((s) => {
            const p = s.points;
            const recent = p.slice(-10);
            const canary = recent.length ? median(recent.map((x) => x.canary)) : NaN;
            const baseline = recent.length ? median(recent.map((x) => median(Object.values(x.baseline)))) : NaN;
            const why = this.whyUndecided(s);
            const bound = s.config.better === "lower" ? `at most ${fmt(1 + s.config.tolerance)}x` : `at least ${fmt(1 - s.config.tolerance)}x`;
            const failedAt = s.failedAtStep !== undefined ? p[Math.min(p.length, s.failedAtStep) - 1] : undefined;
            return {
                name: `${metricCheckPrefix}${s.config.name}`,
                verdict: this.verdictOf(s),
                effect: "canary/baseline",
                evidence: Math.exp(s.seq.fail.logEvidence()),
                threshold: 1 / this.checkAlpha,
                canaryRequests: s.seq.fail.steps,
                baseline,
                canary,
                detail:
                    `canary ${fmt(canary)} vs baseline ${fmt(baseline)} (medians of the last ${recent.length * s.step} s); beyond the tolerance (${bound} the baseline, ${s.config.better} is better) in ${s.seq.fail.ones} of ${s.seq.fail.steps} steps` +
                    `${failedAt ? `; failed at ${new Date(failedAt.t * 1000).toISOString()} (${failedAt.t - Math.ceil(this.o.from / 1000)} s into the bake)` : ""}` +
                    `${s.warmup > 0 ? `; ${s.warmup} warm-up steps left out` : ""}${s.missing > 0 ? `; ${s.missing} steps missing` : ""}${why && s.failedAtStep === undefined ? `; undecided: ${why}` : ""}`,
            };
        });
    }

    /** What each check read, for the record beside the judgement. */
    evidence(): MetricEvidence[] {
        return this.states.map((s) => ({
            name: s.config.name,
            query: s.config.query,
            better: s.config.better,
            tolerance: s.config.tolerance,
            source: this.source.name,
            stepSeconds: s.step,
            verdict: this.verdictOf(s),
            ...(this.whyUndecided(s) ? { why: this.whyUndecided(s) } : {}),
            points: s.points,
            reads: { ...s.reads },
            outages: s.outages.map((o) => ({ ...o })),
            ...(s.failedAtStep !== undefined && s.points.length > 0 ? { failedAt: s.points[Math.min(s.points.length, s.failedAtStep) - 1].t } : {}),
            ...(s.cursor > Math.ceil(this.o.from / 1000) ? { readThrough: s.cursor - s.step } : {}),
            ...(s.lastCanary !== undefined ? { lastCanary: s.lastCanary } : {}),
            ...(s.lastBaseline !== undefined ? { lastBaseline: s.lastBaseline } : {}),
            steps: { judged: s.seq.fail.steps, warmup: s.warmup, missing: s.missing },
        }));
    }

    /** Per check for the live line: the latest values and log10(evidence / threshold) (fails at 0). */
    progress(): { name: string; canary?: number; baseline?: number; evidence: number; why?: string }[] {
        return this.states.map((s) => {
            const last = s.points[s.points.length - 1];
            const why = this.whyUndecided(s);
            return {
                name: s.config.name,
                ...(last ? { canary: last.canary, baseline: median(Object.values(last.baseline)) } : {}),
                evidence: (s.seq.fail.logEvidence() + Math.log(this.checkAlpha)) / Math.LN10,
                ...(why ? { why } : {}),
            };
        });
    }
}

/** The live line's metric part: `metrics memory 64.2M vs 61.0M -1.9, cpu-per-request ... (fail at 0)`. */
export function formatMetricProgress(rows: ReturnType<MetricJudge["progress"]>): string {
    const one = (r: (typeof rows)[number]) =>
        `${r.name} ${r.canary !== undefined ? `${fmt(r.canary)} vs ${fmt(r.baseline as number)} ${r.evidence.toFixed(1)}` : `no data${r.why ? ` (${r.why})` : ""}`}`;
    return `metrics ${rows.map(one).join(", ")} (fail at 0)`;
}
