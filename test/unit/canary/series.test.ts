import { strict as assert } from "node:assert";
import type { LoggedRequest } from "../../../src/canary/evidence";
import { binWidthMs, canaryRequestTime, ecdf, latencyOverTime, perRoute, unloggedRoute } from "../../../src/canary/series";

const req = (server: string, t: number, latencyMs: number, status = 200, route?: string): LoggedRequest => ({ server, t, latencyMs, status, ...(route ? { route } : {}) });

describe("the report's figures from the requests", () => {
    const bins: [string, number, number, number][] = [
        ["60 s at 70 canary requests/s: per second", 60_000, 4200, 1000],
        ["8 s at 70/s: per second (8 bins)", 8000, 560, 1000],
        ["6 s at 70/s: 0.5 s, so that a short bake keeps 8 bins", 6000, 420, 500],
        ["2.3 s at 70/s: 0.25 s", 2300, 161, 250],
        ["15 s at 300/s: 0.25 s", 15_000, 4500, 250],
        ["10 minutes at 70/s: 10 s (at most 60 bins)", 600_000, 42_000, 10_000],
        ["60 s at 10/s: 5 s (40 canary requests a bin)", 60_000, 600, 5000],
    ];
    for (const [name, windowMs, canary, width] of bins) {
        it(`bins ${name}`, () => assert.equal(binWidthMs(windowMs, canary), width));
    }

    it("gives each side's requests, failures, p50 and p90 per bin from the window's start", () => {
        const from = 1_000_000;
        const rs = [
            ...[1, 2, 3, 4, 100].map((ms, i) => req("web-1", from + i * 100, ms)),
            req("web-1", from + 600, 9, 500),
            ...[5, 6, 7].map((ms, i) => req("web-2", from + 1000 + i * 10, ms)),
            req("web-1", from + 1500, 0, 503),
        ];
        // quantiles interpolate between neighbours (simple-statistics' quantileSorted)
        const round = (b: object) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 100) / 100 : v]));
        assert.deepEqual(latencyOverTime(rs, "web-1", from, 1000).map(round), [
            { second: 0, side: "canary", requests: 6, failed: 1, p50: 3, p90: 61.6 },
            { second: 1, side: "baseline", requests: 3, failed: 0, p50: 6, p90: 6.8 },
            { second: 1, side: "canary", requests: 1, failed: 1 },
        ]);
    });

    it("gives each route's requests, failures, p50 and p99 per side, the busiest first", () => {
        const rs = [
            ...Array.from({ length: 100 }, (_, i) => req("web-2", i, i + 1, 200, "GET /products")),
            ...Array.from({ length: 10 }, (_, i) => req("web-1", i, 2 * (i + 1), i < 2 ? 500 : 200, "POST /orders/<id>")),
            req("web-1", 5, 3),
        ];
        const routes = perRoute(rs, "web-1");
        assert.deepEqual(routes.map((r) => r.route), ["GET /products", "POST /orders/<id>", unloggedRoute]);
        assert.deepEqual(routes[0], { route: "GET /products", canary: { requests: 0, failed: 0 }, baseline: { requests: 100, failed: 0, p50: 50.5, p99: 99.01 } });
        assert.deepEqual({ ...routes[1].canary, p99: Math.round((routes[1].canary.p99 ?? 0) * 100) / 100 }, { requests: 10, failed: 2, p50: 13, p99: 19.86 }, "successful requests only: 6, 8, ..., 20 ms");
    });

    it("draws the ECDF as steps at every distinct latency, or at evenly spaced shares and the slowest", () => {
        assert.deepEqual(ecdf([3, 1, 1, 2]), [
            { latencyMs: 1, share: 0.5 },
            { latencyMs: 2, share: 0.75 },
            { latencyMs: 3, share: 1 },
        ]);
        const many = ecdf(Array.from({ length: 10_000 }, (_, i) => i), 101);
        assert.equal(many.length, 101);
        assert.deepEqual(many[many.length - 1], { latencyMs: 9999, share: 1 });
        assert.ok(many.every((p, i) => i === 0 || (p.latencyMs > many[i - 1].latencyMs && p.share > many[i - 1].share)));
        assert.deepEqual(ecdf([]), []);
    });

    it("finds when the n-th canary request started, in the order the judge read them", () => {
        const rs = [req("web-2", 10, 1), req("web-1", 20, 1), req("web-2", 30, 1), req("web-1", 25, 1)];
        assert.equal(canaryRequestTime(rs, "web-1", 2), 25);
        assert.equal(canaryRequestTime(rs, "web-1", 3), undefined);
        assert.equal(canaryRequestTime(rs, "web-1", 0), undefined);
    });
});
