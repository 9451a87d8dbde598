import { strict as assert } from "node:assert";
import type { LoggedRequest } from "../../../src/canary/evidence";
import { judge } from "../../../src/canary/judge";
import { renderCanaryReport } from "../../../src/canary/report";
import { simulator } from "../../support/simulate";

describe("canary report", () => {
    const sim = simulator(11);
    const routes = ["GET /products", "POST /orders/<id>"];
    const stamp = (server: string) => (s: ReturnType<ReturnType<typeof simulator>>[number], i: number): LoggedRequest => ({ ...s, server, t: 1_000_000 + i * 5, route: routes[i % 2] });
    const baseline = sim({ n: 1000, errors: { "db timeout": 0.005 } }).map(stamp("web-2"));
    const canary = sim({ n: 1000, errors: { "db timeout": 0.005, "injected fault": 0.03 } }).map(stamp("web-1"));
    const judgement = judge(baseline, canary);
    const templates = [
        { signature: "log: ERROR points service refused", template: "ERROR points service refused", known: false, canaryLines: 12, baselineLines: 0, canaryFirstSeen: 1_001_000 },
        { signature: "log: ERROR upstream reset after <num> ms", template: "ERROR upstream reset after <num> ms", known: true, canaryLines: 3, baselineLines: 5, canaryFirstSeen: 1_000_500, baselineFirstSeen: 1_000_100 },
    ];
    const render = () => renderCanaryReport({ canary: "web-1", version: "faulty", baseline: ["web-2"], from: 1_000_000, to: 1_005_000, judgement, requests: [...canary, ...baseline].sort((a, b) => a.t - b.t), appLogTemplates: templates });

    it("shows the verdict, each check and the new error signatures", async () => {
        const html = await render();
        assert.match(html, /<h1>Canary web-1 on faulty: <span class="fail">fail<\/span><\/h1>/);
        assert.match(html, /<li>injected fault: \d+ canary requests[^<]*; first seen \d+\.\d s into the bake \(1970-01-01 00:\d\d:\d\d\.\d+ UTC\)<\/li>/);
        assert.doesNotMatch(html, /<li>db timeout/, "a known error is not new");
        assert.doesNotMatch(html, /<script/);
    });

    it("draws latency over time, the distribution, the evidence and the failures as static SVG with marks", async () => {
        const html = await render();
        const charts = html.match(/<svg [\s\S]*?<\/svg>/g) ?? [];
        assert.equal(charts.length, 4);
        const titles = ["Latency of successful requests over the bake, p50 and p90 per", "Latency distribution of successful requests (ECDF)", "Each check's evidence", "Failed requests per"];
        for (const [i, title] of titles.entries()) {
            assert.ok(charts[i].includes(title), `chart ${i} is ${title}`);
            assert.match(charts[i], /class="mark-line role-mark[^"]*"[^>]*>\s*<path[^>]+d="M[\d.]/, `chart ${i} has a drawn line`);
        }
        assert.match(charts[0], /latency, ms \(log scale\)/);
        assert.match(charts[1], /latency, ms \(log scale\)/);
        assert.match(charts[0], /verdict: fail/, "the verdict is marked on the time axis");
    });

    it("has a table per route with requests, failures, p50 and p99 per side", async () => {
        const html = await render();
        for (const route of routes) {
            const row = new RegExp(`<tr><td><code>${route.replace(/</g, "&#60;").replace(/>/g, "&#62;")}</code></td>(<td class="n">[^<]*(?:<b>\\d+</b>)?[^<]*</td>){9}</tr>`);
            assert.match(html, row, route);
        }
        assert.match(html, /<td class="n">500<\/td><td class="n"><b>\d+<\/b><\/td>/, "the canary's 500 requests on a route, with its failures");
    });

    it("draws a page of 200,000 requests (the most the provider keeps for it)", async () => {
        const many = Array.from({ length: 200_000 }, (_, i): LoggedRequest => ({ server: i % 3 === 0 ? "web-1" : "web-2", t: 1_000_000 + i, status: i % 997 === 0 ? 500 : 200, latencyMs: 1 + (i % 50), route: routes[i % 2] }));
        const html = await renderCanaryReport({ canary: "web-1", version: "v2", baseline: ["web-2"], from: 1_000_000, to: 1_200_000, judgement, requests: many });
        assert.equal((html.match(/<svg /g) ?? []).length, 4);
        assert.match(html, /<td class="n">33334<\/td>/, "the canary's requests on GET /products");
    });

    it("lists every app-log template of the window with its counts per side, known and new", async () => {
        const html = await render();
        assert.match(html, /<tr class="fail"><td><code>ERROR points service refused<\/code><\/td><td><b>new<\/b><\/td><td class="n">12<\/td><td>1\.0 s<\/td><td class="n">0<\/td><td><\/td><\/tr>/);
        assert.match(html, /<tr class=""><td><code>ERROR upstream reset after &#60;num&#62; ms<\/code><\/td><td>known<\/td><td class="n">3<\/td><td>0\.5 s<\/td><td class="n">5<\/td><td>0\.1 s<\/td><\/tr>/);
    });
});
