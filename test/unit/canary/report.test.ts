import { strict as assert } from "node:assert";
import type { LoggedRequest } from "../../../src/canary/evidence";
import { judge } from "../../../src/canary/judge";
import { renderCanaryReport } from "../../../src/canary/report";
import { simulator } from "../../support/simulate";

describe("canary report", () => {
    it("shows the verdict, each check, the new error signatures, the evidence over time and the traffic as static SVG", async () => {
        const sim = simulator(11);
        const stamp = (server: string) => (s: ReturnType<ReturnType<typeof simulator>>[number], i: number): LoggedRequest => ({ ...s, server, t: 1_000_000 + i * 5 });
        const baseline = sim({ n: 1000, errors: { "db timeout": 0.005 } }).map(stamp("web-2"));
        const canary = sim({ n: 1000, errors: { "db timeout": 0.005, "injected fault": 0.03 } }).map(stamp("web-1"));
        const judgement = judge(baseline, canary);
        const html = await renderCanaryReport({ canary: "web-1", version: "faulty", baseline: ["web-2"], from: 1_000_000, to: 1_005_000, judgement, requests: [...canary, ...baseline] });
        assert.match(html, /<h1>Canary web-1 on faulty: <span class="fail">fail<\/span><\/h1>/);
        assert.match(html, /<li>injected fault: \d+ canary requests[^<]*; first seen 1970-01-01T00:\d\d:\d\d\.\d+Z<\/li>/);
        assert.doesNotMatch(html, /<li>db timeout/, "a known error is not new");
        assert.equal((html.match(/<svg /g) ?? []).length, 3);
        assert.match(html, /relative to each check&#39;s threshold|relative to each check's threshold/);
        assert.match(html, /Latency of successful requests/);
        assert.match(html, /Failed requests per second/);
        assert.match(html, /<path[^>]+d="M[\d.]/, "the charts have drawn marks");
        assert.doesNotMatch(html, /<script/);
    });
});
