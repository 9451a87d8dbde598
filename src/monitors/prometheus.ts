// Prometheus' HTTP API, the part the canary's metric checks read: range queries
// (/api/v1/query_range), each bounded in points and time.
// https://prometheus.io/docs/prometheus/latest/querying/api/

/** A series of a range query: its labels and [epoch seconds, value] pairs (NaN and ±Inf kept as numbers). */
export interface RangeSeries {
    readonly metric: Readonly<Record<string, string>>;
    readonly values: readonly (readonly [number, number])[];
}

/** Prometheus answered with an error of its own (errorType and error, e.g. bad_data and a parse error). */
export class PrometheusError extends Error {
    constructor(readonly errorType: string, readonly error: string, readonly status: number) {
        super(`${errorType}: ${error}`);
    }
}

export interface RangeQuery {
    readonly query: string;
    /** Epoch seconds. */
    readonly start: number;
    readonly end: number;
    readonly stepSeconds: number;
}

/** A read is at most this many steps: Prometheus' own limit is 11,000 points a series. */
export const maxStepsPerRead = 600;

export class PrometheusClient {
    constructor(
        readonly url: string,
        /** A read that takes longer is abandoned (and says so). */
        private readonly timeoutMs = 5000,
    ) {}

    /** Errors: PrometheusError for Prometheus' own, else the fetch's (refused, time-out). */
    async queryRange(q: RangeQuery): Promise<RangeSeries[]> {
        const steps = Math.floor((q.end - q.start) / q.stepSeconds) + 1;
        if (!(steps >= 1 && steps <= maxStepsPerRead)) {
            throw new Error(`a range query of ${steps} steps; at most ${maxStepsPerRead} a read`);
        }
        const body = new URLSearchParams({ query: q.query, start: String(q.start), end: String(q.end), step: String(q.stepSeconds), timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s` });
        const res = await fetch(`${this.url}/api/v1/query_range`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body,
            signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        let parsed: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: { metric: Record<string, string>; values: [number, string][] }[] } };
        try {
            parsed = JSON.parse(text);
        } catch {
            throw new Error(`Prometheus at ${this.url} answered ${res.status} with no JSON: ${text.slice(0, 200)}`);
        }
        if (parsed.status !== "success") {
            throw new PrometheusError(parsed.errorType ?? `HTTP ${res.status}`, parsed.error ?? text.slice(0, 200), res.status);
        }
        if (parsed.data?.resultType !== "matrix") {
            throw new PrometheusError("bad_data", `a range query must give a matrix, got ${parsed.data?.resultType}`, res.status);
        }
        return (parsed.data.result ?? []).map((s) => ({ metric: s.metric, values: s.values.map(([t, v]) => [t, Number(v)] as const) }));
    }
}
