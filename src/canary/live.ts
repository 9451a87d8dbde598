// A canary judged live from the local evidence: HAProxy's request log read from where the last
// read ended, the app's own log lines beside it, and one line of progress for people (requests,
// errors, p50/p99 per version, the evidence so far). The provider's judgement
// (provider/canary/judgement.ts) polls it every second during the bake and sends the line to the
// engine every few seconds (`pulumi up` shows it as the resource's status); `zdr watch` polls it
// in a terminal until the verdict or Ctrl-C.
import { AppLogWatch } from "./app-log";
import { followRequests, LoggedRequest, readFrom } from "./evidence";
import type { FollowedLog } from "./rotated-log";
import { CanaryJudge, Judgement, JudgeOptions, type MetricChecksSetup } from "./judge";
import { metricCheckPrefix } from "../monitors/metric-judge";

export interface LiveOptions {
    readonly requestLog: string;
    readonly canary: string;
    readonly baseline: readonly string[];
    /** The canary's fresh baseline (a stable server started with its bake): the judge's "fresh" group. @default - none */
    readonly fresh?: string;
    /** The window's start (epoch ms): earlier requests are not judged. */
    readonly from: number;
    /** Server -> its app log (stdout and stderr). @default - none */
    readonly appLogs?: Readonly<Record<string, string>>;
    /** What makes an app log line without a level an error. @default - defaultErrorPattern (src/canary/log-level.ts) */
    readonly appLogErrorPattern?: RegExp;
    readonly judge?: JudgeOptions;
    /** Where the judge's metric checks read, and what (the bake polls them: judge.metrics). @default - none */
    readonly metrics?: MetricChecksSetup;
    /** Called with every request judged (the report's charts keep some). @default - none */
    readonly onRequest?: (r: LoggedRequest) => void;
}

/** Latencies kept per group for the live percentiles: the most recent ones. */
const kept = 5000;

export interface GroupStats {
    readonly requests: number;
    readonly failed: number;
    /** Of the last 5,000 requests. */
    readonly p50: number;
    readonly p99: number;
}

class Stats {
    requests = 0;
    failed = 0;
    private readonly latencies: number[] = [];
    private next = 0;

    add(r: LoggedRequest): void {
        this.requests++;
        if (r.status < 200 || r.status >= 300) {
            this.failed++;
        }
        if (this.latencies.length < kept) {
            this.latencies.push(r.latencyMs);
        } else {
            this.latencies[this.next] = r.latencyMs;
            this.next = (this.next + 1) % kept;
        }
    }

    summary(): GroupStats {
        const sorted = [...this.latencies].sort((a, b) => a - b);
        const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
        return { requests: this.requests, failed: this.failed, p50: q(0.5), p99: q(0.99) };
    }
}

/**
 * The baseline's last minute before the window: its p99 (the tail threshold, from at least 300
 * requests) and the error signatures it showed (known, never new).
 */
function history(o: LiveOptions): { threshold?: number; signatures: string[] } {
    const before: number[] = [];
    const signatures = new Set<string>();
    let done = false;
    followRequests(o.requestLog, o.from - 60_000).read((f, offset) =>
        done
            ? offset
            : readFrom(f, offset, (r) => {
                  if (r.t >= o.from - 60_000 && r.t < o.from && o.baseline.includes(r.server)) {
                      if (r.status >= 200 && r.status < 300) {
                          before.push(r.latencyMs);
                      } else if (r.error !== undefined) {
                          signatures.add(r.error);
                      }
                  }
                  done = r.t >= o.from + 60_000; // past the window's start by more than any disorder
                  return !done;
              }),
    );
    before.sort((a, b) => a - b);
    return { ...(before.length >= 300 ? { threshold: before[Math.floor(before.length * 0.99)] } : {}), signatures: [...signatures] };
}

export class LiveJudgement {
    readonly judge: CanaryJudge;
    readonly appLogs?: AppLogWatch;
    private readonly stats = { canary: new Stats(), baseline: new Stats() };
    /** HAProxy's log from the window's start, across its rotation (a window in the past, as `zdr watch --since` gives, is read whole). */
    private readonly log: FollowedLog;

    constructor(private readonly o: LiveOptions) {
        // The app's own log lines from now on: the canary's start-up is not read.
        this.appLogs = o.appLogs ? new AppLogWatch(Object.fromEntries(Object.entries(o.appLogs).filter(([s]) => s === o.canary || s === o.fresh || o.baseline.includes(s))), o.canary, { ...(o.appLogErrorPattern ? { errorPattern: o.appLogErrorPattern } : {}) }) : undefined;
        const { threshold, signatures } = history(o);
        this.log = followRequests(o.requestLog, o.from);
        this.judge = new CanaryJudge({ ...o.judge, ...(o.fresh ? { freshBaseline: true } : {}), knownSignatures: signatures, ...(threshold !== undefined && o.judge?.tailThresholdMs === undefined ? { tailThresholdMs: threshold } : {}) }, { ...(o.metrics ? { metrics: o.metrics } : {}) });
    }

    /** Reads what was logged since the last poll (the app's lines first); requests after `until` are left out. */
    poll(until = Infinity): void {
        this.appLogs?.poll(Date.now());
        this.log.read((f, offset) => readFrom(f, offset, (r) => this.add(r, until)));
    }

    private add(r: LoggedRequest, until: number): void {
        if (r.t < this.o.from || r.t > until) {
            return;
        }
        const group = r.server === this.o.canary ? "canary" : r.server === this.o.fresh ? "fresh" : this.o.baseline.includes(r.server) ? "baseline" : undefined;
        if (!group) {
            return;
        }
        // A line goes with the request that was being served when it was written.
        const signatures = this.appLogs?.take(r.server, r.end ?? r.t + r.latencyMs);
        const req = signatures ? { ...r, signatures } : r;
        this.judge.add(group, r.t, req);
        this.stats[group === "canary" ? "canary" : "baseline"].add(req);
        this.o.onRequest?.(req);
    }

    progress(now = Date.now()): Progress {
        return { canary: this.o.canary, seconds: (now - this.o.from) / 1000, canaryStats: this.stats.canary.summary(), baselineStats: this.stats.baseline.summary(), judgement: this.judge.judgement(false) };
    }
}

export interface Progress {
    readonly canary: string;
    readonly seconds: number;
    readonly canaryStats: GroupStats;
    readonly baselineStats: GroupStats;
    readonly judgement: Judgement;
}

const pct = (n: number, of: number) => `${of ? ((n / of) * 100).toFixed(1) : "0.0"}%`;

/**
 * One line: "web-1 12 s/120 s: canary 340 req 1.2% failed p50 3 p99 12 ms | baseline 700 req
 * 0.0% failed p50 3 p99 10 ms | evidence error-rate -1.2 latency -3.0 tail -2.1 (fails at 0) | undecided".
 * Evidence is log10(evidence / threshold) per check, as the report's chart shows it.
 */
export function formatProgress(p: Progress, maxSeconds?: number): string {
    const group = (name: string, s: GroupStats) => `${name} ${s.requests} req ${pct(s.failed, s.requests)} failed p50 ${s.p50} p99 ${s.p99} ms`;
    // the metric checks' evidence is in their own part of the line (formatMetricProgress)
    const evidence = p.judgement.checks
        .filter((c) => !c.name.startsWith(metricCheckPrefix) && c.threshold > 0 && Number.isFinite(c.evidence) && c.evidence > 0)
        .map((c) => `${c.name} ${(Math.log10(c.evidence / c.threshold)).toFixed(1)}`)
        .join(", ");
    const verdict = p.judgement.verdict === "undecided" ? "undecided" : `${p.judgement.verdict} after ${p.judgement.decidedAfter} canary requests`;
    return `${p.canary} ${p.seconds.toFixed(0)} s${maxSeconds !== undefined ? `/${maxSeconds} s` : ""}: ${group("canary", p.canaryStats)} | ${group("baseline", p.baselineStats)} | evidence ${evidence || "-"} (fails at 0) | ${verdict}`;
}
