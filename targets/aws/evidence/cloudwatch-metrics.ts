// The canary's metric checks on AWS (issue 25, item 3): CloudWatch's GetMetricData, one MetricStat
// a server (namespace, metric name, statistic, the dimensions with `{instanceId}` and `{server}`
// filled in), a value a period. The judge (src/monitors/metric-judge.ts) reads it through the same
// seam as Prometheus (src/monitors/source.ts) and judges it with the same statistics.
// A period's value is stamped with the period's end, as a Prometheus value at t says what happened
// up to t. Every read is bounded: in steps (maxSteps), in pages (NextToken, maxPages), in time
// (an abort after timeoutMs) and in attempts (the SDK's retry of a throttled call, at most 2).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchMetric } from "../../../src/monitors/config";
import type { MetricSource, RangeSeries, ReadFailure, SeriesRead } from "../../../src/monitors/source";

export interface CloudWatchMetricsOptions {
    readonly region: string;
    /** Server name -> its EC2 instance id (`{instanceId}`). */
    readonly instances: Readonly<Record<string, string>>;
    /** @default - AWS's own endpoint for the region */
    readonly endpoint?: string;
    /** A read (all its pages) that takes longer is abandoned and says so. @default 10000 */
    readonly timeoutMs?: number;
}

/** Pages of one read at most: a read holds one metric of one server, far under a page's 100,800 values. */
export const maxPages = 5;

/** CloudWatch's codes for a request that is wrong in itself: reading it again gives the same. */
const refusedCodes = /^(InvalidParameterValue|InvalidParameterCombination|MissingParameter|MissingRequiredParameter|InvalidParameter|ValidationError|ValidationException)/;

/** The check's dimensions for one server: `{instanceId}` and `{server}` filled in. */
export function serverDimensions(metric: CloudWatchMetric, server: string, instanceId: string): { Name: string; Value: string }[] {
    return Object.entries(metric.dimensions).map(([Name, v]) => ({ Name, Value: v.replace(/\{instanceId\}/g, instanceId).replace(/\{server\}/g, server) }));
}

export class CloudWatchMetricsSource implements MetricSource {
    readonly name = "CloudWatch";
    readonly label: string;
    /** Steps a read asks for at most (a ten-minute bake of 1 s periods). */
    readonly maxSteps = 600;
    private readonly client: CloudWatchClient;
    private readonly timeoutMs: number;

    constructor(private readonly o: CloudWatchMetricsOptions) {
        this.client = new CloudWatchClient({ region: o.region, maxAttempts: 2, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
        this.timeoutMs = o.timeoutMs ?? 10_000;
        this.label = `CloudWatch in ${o.region}${o.endpoint ? ` at ${o.endpoint}` : ""}`;
    }

    async read(r: SeriesRead): Promise<RangeSeries[]> {
        const metric = r.check.cloudWatch;
        if (!metric) {
            throw new CheckNotReadable(`the check ${r.check.name} names no CloudWatch metric (a PromQL query cannot be read from CloudWatch)`);
        }
        const instanceId = this.o.instances[r.server];
        if (!instanceId && Object.values(metric.dimensions).some((v) => v.includes("{instanceId}"))) {
            throw new Error(`no instance id for ${r.server}`);
        }
        const step = r.stepSeconds;
        const signal = AbortSignal.timeout(this.timeoutMs);
        const values: [number, number][] = [];
        let token: string | undefined;
        for (let page = 0; page < maxPages; page++) {
            const out: GetMetricDataCommandOutput = await this.client.send(
                new GetMetricDataCommand({
                    MetricDataQueries: [{
                        Id: "m",
                        MetricStat: { Metric: { Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: serverDimensions(metric, r.server, instanceId ?? "") }, Period: step, Stat: metric.statistic },
                        ReturnData: true,
                    }],
                    // the periods that end at r.start ... r.end
                    StartTime: new Date((r.start - step) * 1000),
                    EndTime: new Date(r.end * 1000),
                    ScanBy: "TimestampAscending",
                    MaxDatapoints: (r.end - r.start) / step + 2,
                    ...(token ? { NextToken: token } : {}),
                }),
                { abortSignal: signal },
            );
            const result = out.MetricDataResults?.find((m) => m.Id === "m");
            if (result?.StatusCode === "InternalError" || result?.StatusCode === "Forbidden") {
                throw new Error(`GetMetricData: ${result.StatusCode}${result.Messages?.length ? `: ${result.Messages.map((m) => `${m.Code} ${m.Value}`).join("; ")}` : ""}`);
            }
            const times = result?.Timestamps ?? [];
            const vals = result?.Values ?? [];
            if (times.length !== vals.length) {
                throw new Error(`GetMetricData gave ${times.length} timestamps and ${vals.length} values`);
            }
            times.forEach((at, i) => {
                const t = Math.round(at.getTime() / 1000) + step;
                if (t >= r.start && t <= r.end) {
                    values.push([t, vals[i]]);
                }
            });
            token = out.NextToken;
            if (!token) {
                values.sort((a, b) => a[0] - b[0]);
                return values.length > 0 ? [{ metric: { server: r.server }, values }] : [];
            }
        }
        throw new Error(`GetMetricData still had pages after ${maxPages} (NextToken): one metric of one server should fit in one`);
    }

    failure(e: unknown): ReadFailure {
        if (e instanceof CheckNotReadable) {
            return { why: e.message, refused: true };
        }
        const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
        if (err.name === "AbortError" || err.name === "TimeoutError") {
            return { why: `no answer within ${this.timeoutMs} ms`, refused: false };
        }
        if (err.$metadata !== undefined) {
            // CloudWatch's own error: its code and message (Throttling: Rate exceeded)
            return { why: `${err.name}: ${err.message}${err.$metadata.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : ""}`, refused: refusedCodes.test(err.name) };
        }
        return { why: err.code ?? err.message, refused: false };
    }
}

/** A check this source cannot read at all. */
class CheckNotReadable extends Error {}
