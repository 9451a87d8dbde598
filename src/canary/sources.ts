// Where a bake's evidence comes from, as its target gives it (targets/<kind>/evidence/index.ts,
// chosen by targets/evidence.ts): the request stream, the app's own log lines and the metric
// source. The provider's judgement (provider/canary/judgement.ts) bakes with them and `zdr watch`
// (src/cli.ts) watches a bake with the same ones; neither asks which target it is.
import type { AppLogWatch } from "./app-log";
import type { LoggedRequest } from "./evidence";
import { type MetricSource, PrometheusSource } from "../monitors/source";

/**
 * Requests logged as they end, readable at once (HAProxy's log: the local default's own file, or
 * a copy kept up to date from its host over SSH on the hosts target).
 */
export interface LiveRequests {
    readonly kind: "live";
    /** The request log the judge follows (src/canary/live.ts), on this machine. */
    readonly requestLog: string;
    /** Server -> its app log on this machine. @default - none */
    readonly appLogs?: Readonly<Record<string, string>>;
    /**
     * Brings the copies up to date from the hosts (the first call also reads the stable servers'
     * recent lines); at most `rounds` reads each, or until caught up. Nothing to do for local files.
     */
    catchUp(rounds?: number): Promise<void>;
}

/** Requests read after the logs' delivery (the ALB's access logs in S3, every five minutes). */
export interface DeliveredRequests {
    readonly kind: "delivered";
    /** How long after a request its log is read (the delivery's wait). */
    readonly deliverySeconds: number;
    /** Said where a live line would show requests, e.g. "requests: the ALB's access logs arrive every 5 min, judged after delivery". */
    readonly note: string;
    /** The canary's and the baseline's requests in [from, to], in time order, each with the new templates its server logged while serving it. */
    read(from: number, to: number): Promise<{ readonly requests: LoggedRequest[]; readonly appLogs?: AppLogWatch }>;
}

export interface CanarySources {
    readonly requests: LiveRequests | DeliveredRequests;
    /**
     * The metric checks' values, each server's `{instance}` as the target knows it, with `extra`
     * servers beside them (a fresh baseline's). Undefined when the target names no metric store.
     */
    metrics?(extra?: Readonly<Record<string, string>>): MetricSource;
    /** Where the metrics are read, for the record ({prometheus: url} or {cloudWatch: ...}). @default - none */
    readonly metricsRecord?: Readonly<Record<string, unknown>>;
}

/** The metric source of a target that reads a Prometheus (the local default's own, the hosts target's team's), each server's `{instance}` given. */
export function prometheusMetrics(p: { readonly url: string; readonly instances: Readonly<Record<string, string>> } | undefined): Pick<CanarySources, "metrics" | "metricsRecord"> {
    return p ? { metrics: (extra = {}) => new PrometheusSource(p.url, { ...p.instances, ...extra }), metricsRecord: { prometheus: p.url } } : {};
}
