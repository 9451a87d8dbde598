// The canary's metric checks, as the team declares them (zdr:canaryMetrics) and as zdr adds them
// by default, validated before anything changes: every message names the key and what is allowed.
// A check's query is PromQL with `{server}` (the server's name, as HAProxy and zdr's process
// exporter label it) and `{instance}` (its own metrics endpoint's target, 127.0.0.1:<port>) filled
// in per server, in the spirit of Argo Rollouts' AnalysisTemplate and Flagger's MetricTemplate,
// and `{from}` (when the check's warm-up ends, epoch seconds) for a value over the bake so far.
import { type ConfigKey, ConfigError, namespace, RawConfig, readFlag, readList } from "../release/config";

export interface MetricCheckConfig {
    /** Names the check: `metric: <name>` in the verdict. */
    readonly name: string;
    /**
     * PromQL, one series per server once `{server}`/`{instance}` are filled in. `{from}` is when
     * the check's warm-up ends (epoch seconds): `x - x @ {from}` is a counter's increase over the
     * bake so far; such a query's steps are judged from `cumulativeMinSeconds` after it.
     */
    readonly query: string;
    /** Which way is better: a canary worse than the baseline beyond the tolerance fails. */
    readonly better: "lower" | "higher";
    /**
     * How much worse the canary may be: lower is better, the canary may be up to (1 + tolerance)
     * times the baseline; higher is better, down to (1 - tolerance) times it.
     */
    readonly tolerance: number;
    /** Steps of this many seconds from the bake's start are not judged (a fresh process's JIT, caches). @default 0 */
    readonly warmupSeconds?: number;
    /** Seconds between two steps judged (CloudWatch: the period). @default 1 (a Prometheus step) */
    readonly stepSeconds?: number;
    /** A step is read once it is this many seconds old (its values landed). @default 2 (two scrape intervals) */
    readonly lagSeconds?: number;
    /** The CloudWatch metric read on AWS (targets/aws/evidence/cloudwatch-metrics.ts); `query` then only describes it. @default - PromQL (`query`) */
    readonly cloudWatch?: CloudWatchMetric;
}

/** A CloudWatch metric of one server: GetMetricData's MetricStat, `{instanceId}` and `{server}` filled in in the dimensions' values. */
export interface CloudWatchMetric {
    readonly namespace: string;
    readonly metricName: string;
    /** Sum, Average, Minimum, Maximum, SampleCount, or a percentile (p99). */
    readonly statistic: string;
    readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * A query over the bake so far (with `{from}`) is judged from this many seconds after `{from}`:
 * over a shorter window it holds a handful of requests and CPU ticks (10 ms each).
 */
export const cumulativeMinSeconds = 5;

/** A counter's increase from `{from}` to each step: what a query over the bake so far divides. */
const sinceFrom = (counter: string) => `(sum(${counter}) - sum(${counter} @ {from}))`;

/**
 * Checks that need nothing from the app: each server's CPU seconds per request (zdr's process
 * exporter over HAProxy's count of responses) and its resident memory. CPU per request is the
 * ratio of the two counters' increases over the bake so far, from 10 s into it (a freshly started
 * Node process spends several times the CPU per request of a warm one while its JIT compiles),
 * judged from 15 s: each step compares every request since then, where a ratio of 10 s rates
 * compared 10 s of noise a step (on the same bakes of a healthy v2, steps of 0.76-1.33x with the
 * rates and 0.73-1.13x over the bake so far, its highest step 1.13x against 1.33x). It may be up
 * to 1.5x its fresh baseline's (a process of the same age, the local default): cpuhog (about
 * twice the CPU per request) was at 1.56-2.01x over its bakes and failed in each (docs/canary.md,
 * "Metric checks", session 9). Against warm servers (no fresh baseline) a healthy fresh canary
 * stayed at 1.6x for a whole bake on a starved machine (load 45), which is why a fresh baseline
 * is what it is compared with.
 */
export const defaultMetricChecks: readonly MetricCheckConfig[] = [
    {
        name: "cpu-per-request",
        query: `${sinceFrom('zdr_server_cpu_seconds_total{server="{server}"}')} / ${sinceFrom('haproxy_server_http_responses_total{server="{server}"}')}`,
        better: "lower",
        tolerance: 0.5,
        warmupSeconds: 10,
    },
    { name: "memory", query: 'zdr_server_resident_memory_bytes{server="{server}"}', better: "lower", tolerance: 0.5 },
];

/** The metric checks' keys (every target reads them; AWS refuses PromQL checks and reads awsCanaryMetrics besides). */
export const metricKeyRows = {
    canaryMetrics: {
        key: "canaryMetrics", type: "list", items: "object", allowed: "a list of {name, query, better, tolerance}",
        description:
            "Metric checks of each canary, read from the stack's Prometheus (local default) or your own (hosts " +
            "target, prometheusUrl) over the bake: a list of {name, query, better: lower|higher, tolerance, " +
            "warmupSeconds?}; the query is PromQL giving one series per server, {server} (the server's name) and " +
            "{instance} (local: 127.0.0.1:<its port>; hosts: <its host's address>:nodeExporterPort) filled in. A " +
            "canary worse than its baseline beyond the tolerance fails (docs/canary.md, \"Metric checks\"). Besides " +
            "the defaults (canaryDefaultMetrics).",
    },
    canaryDefaultMetrics: {
        key: "canaryDefaultMetrics", type: "boolean", fallback: true,
        description:
            "Judge each canary's CPU seconds per request and resident memory (local default: zdr's process " +
            "exporter), its host's CPU and memory in use (hosts target: node_exporter), or each instance's " +
            "CPUUtilization (AWS: CloudWatch, besides awsCanaryMetrics) besides canaryMetrics; nothing needed " +
            "from the app.",
    },
} as const satisfies Record<string, ConfigKey>;

/** The metric checks' keys as rows of the config table. */
export const metricRows: readonly ConfigKey[] = Object.values(metricKeyRows);

export interface MetricsConfig {
    /** The checks judged with every canary that has a Prometheus to read: the defaults (unless turned off) and the team's. */
    readonly checks: readonly MetricCheckConfig[];
}

const checkName = /^[a-z][a-z0-9_.-]{0,62}$/;

/** Fills `{server}`, `{instance}` and `{from}` (epoch seconds) in; any other `{...}` was refused when parsed. */
export function renderQuery(query: string, server: string, instance: string, from: number): string {
    return query.replace(/\{server\}/g, server).replace(/\{instance\}/g, instance).replace(/\{from\}/g, String(from));
}

/**
 * The fields every metric check has, whatever its source (a PromQL query here, a CloudWatch metric
 * on AWS: targets/aws/config.ts): name, better, tolerance and warmupSeconds, each problem naming
 * `at` and what is allowed. The values are meaningful only when no problem was added.
 */
export function judgedFields(e: Record<string, unknown>, at: string, problems: string[]): { name: string; better: "lower" | "higher"; tolerance: number; warmup?: number } {
    const name = typeof e.name === "string" ? e.name : "";
    const better = e.better;
    const tolerance = typeof e.tolerance === "string" ? Number(e.tolerance) : e.tolerance;
    const warmup = typeof e.warmupSeconds === "string" ? Number(e.warmupSeconds) : e.warmupSeconds;
    if (!checkName.test(name)) {
        problems.push(`${at}.name: must be 1-63 lower-case letters, digits, _ . or -, starting with a letter; got ${JSON.stringify(e.name)}`);
    }
    if (better !== "lower" && better !== "higher") {
        problems.push(`${at}.better: must be "lower" or "higher" (which way the canary's value is better); got ${JSON.stringify(better)}`);
    }
    const maxTolerance = better === "higher" ? 1 : 100;
    if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance <= 0 || (better === "higher" ? tolerance >= maxTolerance : tolerance > maxTolerance)) {
        problems.push(`${at}.tolerance: must be a number above 0 and ${better === "higher" ? "below 1 (the canary may fall to (1 - tolerance) x the baseline)" : "at most 100 (the canary may reach (1 + tolerance) x the baseline)"}; got ${JSON.stringify(e.tolerance)}`);
    }
    if (warmup !== undefined && (typeof warmup !== "number" || !Number.isInteger(warmup) || warmup < 0 || warmup > 3600)) {
        problems.push(`${at}.warmupSeconds: must be an integer from 0 to 3600; got ${JSON.stringify(e.warmupSeconds)}`);
    }
    return { name, better: better as "lower" | "higher", tolerance: tolerance as number, ...(warmup !== undefined ? { warmup: warmup as number } : {}) };
}

/**
 * Worked example: canaryMetrics [{name: orders, query: 'sum(rate(shop_orders_total{server="{server}"}[10s]))',
 * better: higher, tolerance: 0.3}] gives the two defaults and "orders": a canary writing under 70%
 * of the baseline's orders per second fails it. `defaults` are the target's own (the hosts target
 * reads node_exporter: targets/hosts/metrics.ts); canaryDefaultMetrics false leaves them out.
 */
export function parseMetricsConfig(raw: RawConfig, defaults: readonly MetricCheckConfig[] = defaultMetricChecks): MetricsConfig {
    const problems: string[] = [];
    const key = `${namespace}:canaryMetrics`;
    const list = readList(raw, metricKeyRows.canaryMetrics, problems);
    const useDefaults = readFlag(raw, metricKeyRows.canaryDefaultMetrics, problems);
    const checks: MetricCheckConfig[] = [];
    if (list) {
        list.forEach((entry: unknown, i) => {
            const at = `${key}[${i}]`;
            if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
                problems.push(`${at}: must be {name, query, better: lower|higher, tolerance}; got ${JSON.stringify(entry)}`);
                return;
            }
            const e = entry as Record<string, unknown>;
            const unknown = Object.keys(e).filter((k) => !["name", "query", "better", "tolerance", "warmupSeconds"].includes(k));
            const query = typeof e.query === "string" ? e.query.trim() : "";
            const before = problems.length;
            if (unknown.length > 0) {
                problems.push(`${at}: unknown field ${unknown.join(", ")} (allowed: name, query, better, tolerance, warmupSeconds)`);
            }
            const { name, better, tolerance, warmup } = judgedFields(e, at, problems);
            if (checkName.test(name) && (checks.some((c) => c.name === name) || defaults.some((c) => c.name === name && useDefaults))) {
                problems.push(`${at}.name: ${name} is declared twice (the defaults are ${defaults.map((c) => c.name).join(", ")})`);
            }
            if (query === "" || query.length > 4000) {
                problems.push(`${at}.query: must be a PromQL expression of at most 4000 characters, {server} and {instance} filled in per server; got ${JSON.stringify(e.query)}`);
            } else if (/\{(?!server\}|instance\}|from\})[A-Za-z_]*\}/.test(query)) {
                problems.push(`${at}.query: only {server}, {instance} and {from} are filled in; got ${JSON.stringify(/\{(?!server\}|instance\}|from\})[A-Za-z_]*\}/.exec(query)?.[0])}`);
            }
            if (problems.length === before) {
                checks.push({ name, query, better, tolerance, ...(warmup !== undefined ? { warmupSeconds: warmup } : {}) });
            }
        });
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { checks: [...(useDefaults ? defaults : []), ...checks] };
}
