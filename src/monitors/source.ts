// Where a metric check's values come from: the seam between the judge (metric-judge.ts, the same
// statistics whatever the source) and a metrics store. Prometheus (the local default, hosts:
// PrometheusSource below) and CloudWatch (the AWS target: targets/aws/evidence/cloudwatch-metrics.ts)
// each give one server's series of a check over a range of steps.
import type { MetricCheckConfig } from "./config";
import { renderQuery } from "./config";
import { maxStepsPerRead, PrometheusClient, type RangeSeries } from "./prometheus";

export type { RangeSeries } from "./prometheus";

/** One server's values of one check over [start, end], a value per step (epoch s, multiples of stepSeconds). */
export interface SeriesRead {
    readonly check: MetricCheckConfig;
    readonly server: string;
    readonly start: number;
    readonly end: number;
    readonly stepSeconds: number;
    /** `{from}`: the check's warm-up's end (epoch s). */
    readonly since: number;
}

/** Why a read failed, as a check's detail says it. */
export interface ReadFailure {
    /** The source's own words (Prometheus' errorType and error, CloudWatch's error code and message) or the transport's (ECONNREFUSED, a time-out). */
    readonly why: string;
    /** The source refused the check itself (a bad query): reading it again gives the same, so it is not read again. */
    readonly refused: boolean;
}

export interface MetricSource {
    /** Its name in a check's detail ("Prometheus refused the query", "CloudWatch not read after ..."). */
    readonly name: string;
    /** Where it is, prefixed to a failed read's error ("Prometheus at http://127.0.0.1:9090"). */
    readonly label: string;
    /** Steps one read holds at most. */
    readonly maxSteps: number;
    /**
     * The value at step t says what happened up to t (Prometheus' instant at t; CloudWatch's period
     * that ends at t). At most one series a server; none when the server has no data.
     */
    read(r: SeriesRead): Promise<RangeSeries[]>;
    failure(e: unknown): ReadFailure;
}

/** Prometheus' query_range, the check's PromQL with `{server}`, `{instance}` and `{from}` filled in. */
export class PrometheusSource implements MetricSource {
    readonly name = "Prometheus";
    readonly label: string;
    readonly maxSteps = maxStepsPerRead;
    private readonly client: PrometheusClient;

    constructor(url: string, private readonly instances: Readonly<Record<string, string>>, private readonly timeoutMs = 5000) {
        this.client = new PrometheusClient(url, timeoutMs);
        this.label = `Prometheus at ${url}`;
    }

    read(r: SeriesRead): Promise<RangeSeries[]> {
        return this.client.queryRange({ query: renderQuery(r.check.query, r.server, this.instances[r.server] ?? "", r.since), start: r.start, end: r.end, stepSeconds: r.stepSeconds });
    }

    failure(e: unknown): ReadFailure {
        const err = e as Error & { errorType?: string; cause?: { code?: string } };
        if (err.errorType !== undefined) {
            return { why: err.message, refused: err.errorType === "bad_data" };
        }
        return { why: err.name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : err.cause?.code ?? err.message, refused: false };
    }
}
