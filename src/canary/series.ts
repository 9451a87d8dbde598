// The figures the canary report draws, computed from the requests it gets (HAProxy's or the
// ALB's log of the window, as the judge read them): latency over time per side, per route, and
// the latency distribution. Pure: the report (./report.ts) turns them into charts and tables.
import { quantileSorted } from "simple-statistics";
import type { LoggedRequest } from "./evidence";

export type Side = "canary" | "baseline";

/** A failed request, as the judge counts it: any status outside 2xx (0 or below: no response). */
export const isFailed = (r: { readonly status: number }): boolean => r.status < 200 || r.status >= 300;

/** Bin widths the latency-over-time chart picks from (ms). */
const binWidths = [250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000];

/**
 * The latency-over-time chart's bin: the narrowest of 0.25 s ... 60 s that gives at most 60 bins
 * over the window and, on average, at least 40 canary requests a bin (a p90 of fewer is noise);
 * but a short window (a canary failed in seconds) keeps at least 8 bins, noisy or not, else its
 * shape is two points. Worked examples at 70 canary requests/s: a bake of 8 to 60 s gets 1 s,
 * one of 6 s 0.5 s, one of 2.3 s 0.25 s; a 10 minute bake 10 s. At 300/s: 0.25 s up to 15 s.
 */
export function binWidthMs(windowMs: number, canaryRequests: number): number {
    const perMs = canaryRequests / Math.max(windowMs, 1);
    const steady = binWidths.find((w) => windowMs / w <= 60 && w * perMs >= 40) ?? binWidths[binWidths.length - 1];
    return windowMs / steady >= 8 ? steady : ([...binWidths].reverse().find((w) => windowMs / w >= 8) ?? binWidths[0]);
}

export interface LatencyBin {
    /** The bin's start, seconds into the window. */
    readonly second: number;
    readonly side: Side;
    readonly requests: number;
    readonly failed: number;
    /** Of the bin's successful requests; absent when none succeeded. */
    readonly p50?: number;
    readonly p90?: number;
}

const sideOf = (r: LoggedRequest, canary: string): Side => (r.server === canary ? "canary" : "baseline");

function percentiles(latencies: number[], ps: readonly number[]): number[] | undefined {
    if (latencies.length === 0) {
        return undefined;
    }
    const sorted = latencies.sort((a, b) => a - b);
    return ps.map((p) => quantileSorted(sorted, p));
}

/** Requests, failures and the p50/p90 of successful requests per side and bin of `binMs` from `from`, in time order. */
export function latencyOverTime(requests: readonly LoggedRequest[], canary: string, from: number, binMs: number): LatencyBin[] {
    const bins = new Map<string, { second: number; side: Side; requests: number; failed: number; latencies: number[] }>();
    for (const r of requests) {
        const bin = Math.floor((r.t - from) / binMs);
        const side = sideOf(r, canary);
        const key = `${bin} ${side}`;
        let b = bins.get(key);
        if (!b) {
            bins.set(key, (b = { second: (bin * binMs) / 1000, side, requests: 0, failed: 0, latencies: [] }));
        }
        b.requests++;
        if (isFailed(r)) {
            b.failed++;
        } else {
            b.latencies.push(r.latencyMs);
        }
    }
    return [...bins.values()]
        .sort((a, b) => a.second - b.second || a.side.localeCompare(b.side))
        .map(({ latencies, ...b }) => {
            const q = percentiles(latencies, [0.5, 0.9]);
            return q ? { ...b, p50: q[0], p90: q[1] } : b;
        });
}

export interface SideFigures {
    readonly requests: number;
    readonly failed: number;
    /** Of successful requests; absent when none succeeded. */
    readonly p50?: number;
    readonly p99?: number;
}

export interface RouteFigures {
    /** "GET /orders/<id>" (evidence.ts, routeOf); "(not logged)" for log lines without a method and path. */
    readonly route: string;
    readonly canary: SideFigures;
    readonly baseline: SideFigures;
}

export const unloggedRoute = "(not logged)";

/** Per route and side: requests, failures, p50 and p99 of successful requests; the busiest route first. */
export function perRoute(requests: readonly LoggedRequest[], canary: string): RouteFigures[] {
    const routes = new Map<string, Record<Side, { requests: number; failed: number; latencies: number[] }>>();
    for (const r of requests) {
        const route = r.route ?? unloggedRoute;
        let x = routes.get(route);
        if (!x) {
            routes.set(route, (x = { canary: { requests: 0, failed: 0, latencies: [] }, baseline: { requests: 0, failed: 0, latencies: [] } }));
        }
        const s = x[sideOf(r, canary)];
        s.requests++;
        if (isFailed(r)) {
            s.failed++;
        } else {
            s.latencies.push(r.latencyMs);
        }
    }
    const figures = ({ latencies, ...s }: { requests: number; failed: number; latencies: number[] }): SideFigures => {
        const q = percentiles(latencies, [0.5, 0.99]);
        return q ? { ...s, p50: q[0], p99: q[1] } : s;
    };
    return [...routes.entries()]
        .map(([route, x]) => ({ route, canary: figures(x.canary), baseline: figures(x.baseline) }))
        .sort((a, b) => b.canary.requests + b.baseline.requests - (a.canary.requests + a.baseline.requests) || a.route.localeCompare(b.route));
}

export interface EcdfPoint {
    readonly latencyMs: number;
    /** Share of the side's successful requests at or below latencyMs. */
    readonly share: number;
}

/**
 * The empirical distribution function of `latencies` at most `points` steps: every distinct
 * value when there are few, else the values at evenly spaced shares plus the largest (the tail
 * is where regressions hide, so the last step is always drawn).
 */
export function ecdf(latencies: readonly number[], points = 200): EcdfPoint[] {
    const sorted = [...latencies].sort((a, b) => a - b);
    const n = sorted.length;
    const out: EcdfPoint[] = [];
    const push = (i: number) => {
        // the last index of a run of equal values: the share at or below it
        let j = i;
        while (j + 1 < n && sorted[j + 1] === sorted[i]) {
            j++;
        }
        if (out.length === 0 || out[out.length - 1].latencyMs !== sorted[j]) {
            out.push({ latencyMs: sorted[j], share: (j + 1) / n });
        }
    };
    if (n <= points) {
        sorted.forEach((_, i) => push(i));
    } else {
        for (let k = 0; k < points; k++) {
            push(Math.floor((k * (n - 1)) / (points - 1)));
        }
    }
    return out;
}

/** When the `n`-th canary request (1-based, in the order the judge read them) started, if there was one. */
export function canaryRequestTime(requests: readonly LoggedRequest[], canary: string, n: number): number | undefined {
    if (n < 1) {
        return undefined;
    }
    let seen = 0;
    for (const r of requests) {
        if (r.server === canary && ++seen === n) {
            return r.t;
        }
    }
    return undefined;
}
