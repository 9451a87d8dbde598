// Continuous HTTP load against the load balancer (autocannon), with every response counted per
// app version (the x-app-version header) and every failure kept: non-2xx or connection error.
import autocannon from "autocannon";

export interface VersionTraffic {
    readonly requests: number;
    readonly failed: number;
    readonly latencyMs: { readonly p50: number; readonly p99: number };
}

export interface Failure {
    readonly t: number;
    /** HTTP status, or 0 for a connection error or time-out. */
    readonly status: number;
    readonly version?: string;
}

/** One second of one version's traffic, as the client saw it (the release report's timeline). */
export interface TrafficSecond {
    /** The second's start (epoch ms, a whole second). */
    readonly t: number;
    /** The x-app-version that answered; "none" for connection errors and answers without one. */
    readonly version: string;
    readonly requests: number;
    readonly failed: number;
    /** Of the second's successful requests; absent when none succeeded. */
    readonly latencyMs?: { readonly p50: number; readonly p99: number };
}

export interface Traffic {
    readonly requests: number;
    readonly failed: number;
    readonly byVersion: Readonly<Record<string, VersionTraffic>>;
    /** The first 100 failures. */
    readonly failures: readonly Failure[];
    /** Per second and version, in time order. @default - not kept (reports written before it) */
    readonly timeline?: readonly TrafficSecond[];
}

export interface LoadOptions {
    /** Requests per second over all connections. @default 200 */
    readonly rate?: number;
    /** @default 8 */
    readonly connections?: number;
    /** Hard limit: the load stops by itself after this long. */
    readonly maxSeconds: number;
    /** GET these paths in turn instead of the shop mix (GET /products, POST /orders). */
    readonly paths?: readonly string[];
}

export interface RunningLoad {
    /** Stops the load and returns what it saw. */
    stop(): Promise<Traffic>;
}

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) {
        return 0;
    }
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface ClientContext {
    version?: string;
}

/** Starts GET /products and POST /orders (or opts.paths) in turn against baseUrl until stop() or maxSeconds. */
export function startLoad(baseUrl: string, opts: LoadOptions): RunningLoad {
    const latencies = new Map<string, number[]>();
    const failedByVersion = new Map<string, number>();
    const failures: Failure[] = [];
    // second's start -> version -> its requests: 200 req/s for the 600 s limit keep 120,000 latencies
    const seconds = new Map<number, Map<string, { failed: number; latencies: number[] }>>();
    const second = (version: string) => {
        const t = Math.floor(Date.now() / 1000) * 1000;
        let byVersion = seconds.get(t);
        if (!byVersion) {
            seconds.set(t, (byVersion = new Map()));
        }
        let s = byVersion.get(version);
        if (!s) {
            byVersion.set(version, (s = { failed: 0, latencies: [] }));
        }
        return s;
    };
    let requests = 0;
    let failed = 0;
    const fail = (status: number, version?: string) => {
        failed++;
        const key = version ?? "none";
        failedByVersion.set(key, (failedByVersion.get(key) ?? 0) + 1);
        second(key).failed++;
        if (failures.length < 100) {
            failures.push({ t: Date.now(), status, version });
        }
    };
    const remember = (_status: number, _body: string, context: ClientContext, headers: Record<string, string | string[]>) => {
        const v = headers["x-app-version"];
        context.version = Array.isArray(v) ? v[0] : v;
    };
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const instance = autocannon({
        url: baseUrl,
        connections: opts.connections ?? 8,
        overallRate: opts.rate ?? 200,
        duration: opts.maxSeconds,
        timeout: 10,
        requests: opts.paths ? opts.paths.map((p) => ({ method: "GET", path: p, onResponse: remember })) as autocannon.Request[] : [
            { method: "GET", path: "/products", onResponse: remember },
            {
                method: "POST",
                path: "/orders",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ productId: 1, quantity: 1 }),
                onResponse: remember,
            },
        ] as autocannon.Request[],
    }, () => resolveDone());
    // The client's onResponse above runs synchronously just before this event, on the same client.
    instance.on("response", (client, status, _bytes, ms) => {
        requests++;
        const ctx: ClientContext = (client as unknown as { requestIterator?: { context: ClientContext } }).requestIterator?.context ?? {};
        const version = ctx.version;
        ctx.version = undefined;
        if (status < 200 || status >= 300) {
            fail(status, version);
            return;
        }
        const key = version ?? "none";
        let list = latencies.get(key);
        if (!list) {
            latencies.set(key, (list = []));
        }
        list.push(ms);
        second(key).latencies.push(ms);
    });
    // Connection errors and time-outs (autocannon reports a time-out as a request error).
    instance.on("reqError", () => {
        requests++;
        fail(0);
    });

    return {
        async stop() {
            instance.stop();
            await done;
            const byVersion: Record<string, VersionTraffic> = {};
            for (const key of new Set([...latencies.keys(), ...failedByVersion.keys()])) {
                const sorted = (latencies.get(key) ?? []).sort((a, b) => a - b);
                const f = failedByVersion.get(key) ?? 0;
                byVersion[key] = {
                    requests: sorted.length + f,
                    failed: f,
                    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
                };
            }
            const timeline: TrafficSecond[] = [...seconds.entries()]
                .sort(([a], [b]) => a - b)
                .flatMap(([t, versions]) =>
                    [...versions.entries()].map(([version, s]) => {
                        const sorted = s.latencies.sort((a, b) => a - b);
                        return { t, version, requests: sorted.length + s.failed, failed: s.failed, ...(sorted.length ? { latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) } } : {}) };
                    }),
                );
            return { requests, failed, byVersion, failures, timeline };
        },
    };
}
