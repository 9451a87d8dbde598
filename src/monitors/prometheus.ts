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

/**
 * A read's answer is at most this many bytes: 600 steps of one series a server take about 20 kB;
 * a query matching thousands of series is cut off here (and said) rather than held in memory.
 */
export const maxAnswerBytes = 4 * 1024 * 1024;

/** The body, read up to `limit` bytes; beyond it the read is abandoned with an error saying so. */
async function boundedText(res: Response, limit: number, url: string): Promise<string> {
    const reader = res.body?.getReader();
    if (!reader) {
        return "";
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) {
            break;
        }
        size += value.byteLength;
        if (size > limit) {
            await reader.cancel();
            throw new Error(`Prometheus at ${url} answered more than ${limit} bytes (the query gives too many series?)`);
        }
        chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
}

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
        const text = await boundedText(res, maxAnswerBytes, this.url);
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
