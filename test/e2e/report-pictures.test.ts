// The judgement page and the release report as a person sees them: rendered from real evidence
// (test/fixtures/pictures: a real demo's report, its first canary's judgement and HAProxy's log,
// a canary failed on a new log template, and a canary failed on its memory metric with what its
// metric checks read from Prometheus), opened in headless Chromium, each chart measured
// as the browser drew it, and screenshotted to .zdr/pictures/ for a person to look at.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { requestsOf } from "../../src/canary/evidence";
import { CanaryEvidence, renderCanaryReport, svg } from "../../src/canary/report";
import { formatReportHtml, ReleaseReport } from "../../src/release/report";
import { packageRoot as projectRoot } from "../../src/package-root";
import { drawnCharts, DrawnChart, screenshot } from "../support/chromium";

const fixtures = path.join(projectRoot, "test/fixtures/pictures");
const out = path.join(projectRoot, ".zdr/pictures");

/** A chart people can read has a size, drawn data marks and coloured (data) pixels, not just axes. */
function assertDrawn(c: DrawnChart, minLines: number): void {
    assert.ok(c.width > 300 && c.height > 100, `${c.title}: ${c.width}x${c.height}`);
    assert.ok((c.marks["mark-line"] ?? 0) >= minLines, `${c.title}: ${JSON.stringify(c.marks)} has fewer than ${minLines} drawn lines`);
    assert.ok(c.colouredPixels > 300, `${c.title}: ${c.colouredPixels} coloured pixels`);
}

describe("the report pages in headless Chromium", function () {
    this.timeout(300_000);
    before(() => fs.mkdirSync(out, { recursive: true }));

    for (const name of ["demo-web-1-v2", "web-1-logfault"]) {
        it(`the judgement page of ${name} draws latency over time, the distribution, the evidence and the failures, each with data`, async () => {
            const j = JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), "utf8"));
            const requests = requestsOf(path.join(fixtures, `${name}.haproxy.txt`), [j.canary, ...j.baseline], j.from, j.to);
            assert.equal(requests.filter((r) => r.server === j.canary).length >= j.counts.canary - 5, true, "the fixture has the canary's requests");
            const html = await renderCanaryReport({ canary: j.canary, version: j.version, baseline: j.baseline, from: j.from, to: j.to, judgement: j, requests, ...(j.appLogTemplates ? { appLogTemplates: j.appLogTemplates } : {}) });
            const file = path.join(out, `${name}.html`);
            fs.writeFileSync(file, html);

            const charts = await drawnCharts(file);
            const titles = ["Latency of successful requests over the bake", "Latency distribution of successful requests", "Each check's evidence", "Failed requests per"];
            assert.equal(charts.length, titles.length, JSON.stringify(charts.map((c) => c.title)));
            titles.forEach((t, i) => assert.ok(charts[i].title.startsWith(t), `chart ${i}: ${charts[i].title}`));
            const [overTime, distribution, evidence, failures] = charts;
            assertDrawn(overTime, 4); // p50 and p90 of each side
            assertDrawn(distribution, 2); // each side's ECDF
            assertDrawn(evidence, 3); // error-rate, latency, tail
            assertDrawn(failures, 2);
            assert.match(html, /<th rowspan="2">route<\/th>/);
            assert.match(html, /<code>GET \/products<\/code>/);
            assert.match(html, /<code>POST \/orders<\/code>/);

            const png = path.join(out, `${name}.png`);
            assert.deepEqual(await screenshot(file, png, 1300, 2600), { width: 1300, height: 2600 });
            console.log(`      ${path.relative(process.cwd(), png)}`);
        });
    }

    it("the judgement page of a canary failed on a metric charts each metric check over the bake per side, each with data", async () => {
        const name = "web-1-leaky";
        const j = JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), "utf8"));
        const metrics = JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.metrics.json`), "utf8")).checks as NonNullable<CanaryEvidence["metrics"]>;
        const requests = requestsOf(path.join(fixtures, `${name}.haproxy.txt`), [j.canary, ...j.baseline, j.freshBaseline.server], j.from, j.to);
        const html = await renderCanaryReport({ canary: j.canary, version: j.version, baseline: j.baseline, from: j.from, to: j.to, judgement: j, requests, metrics });
        const file = path.join(out, `${name}.html`);
        fs.writeFileSync(file, html);

        const charts = await drawnCharts(file);
        const names = metrics.map((m) => m.name);
        assert.deepEqual(names, ["cpu-per-request", "memory", "orders-per-request"]);
        const metricCharts = charts.filter((c) => c.title.startsWith("Metric "));
        assert.deepEqual(metricCharts.map((c) => c.title.split(" ")[1]), names, `a chart per metric check: ${JSON.stringify(charts.map((c) => c.title))}`);
        for (const c of metricCharts) {
            assertDrawn(c, 3); // the canary, the baseline and the tolerance's line
        }
        // the leak: the memory check's steps beyond the tolerance drawn as points, and where it failed
        const memory = metricCharts[1];
        assert.ok((memory.marks["mark-symbol"] ?? 0) >= 10, JSON.stringify(memory.marks));
        assert.ok((memory.marks["mark-rule"] ?? 0) >= 1, JSON.stringify(memory.marks));
        for (const n of names) {
            assert.match(html, new RegExp(`<div id="metric-${n}"><figure><svg`), `${n}: its chart under its anchor (the release report links it)`);
        }
        // a check that read nothing says so in place of its chart
        const none = await renderCanaryReport({ canary: j.canary, version: j.version, baseline: j.baseline, from: j.from, to: j.to, judgement: j, requests, metrics: [{ ...metrics[1], points: [], why: "no read succeeded (3 failed; last: Prometheus at http://127.0.0.1:9090: ECONNREFUSED)" }] });
        assert.match(none, /<div id="metric-memory"><figure class="empty"><p>Metric memory: no data in the window \(no read succeeded \(3 failed; last: Prometheus at http:\/\/127\.0\.0\.1:9090: ECONNREFUSED\)\)\.<\/p><\/figure><\/div>/);

        const png = path.join(out, `${name}.png`);
        assert.deepEqual(await screenshot(file, png, 1300, 3200), { width: 1300, height: 3200 });
        console.log(`      ${path.relative(process.cwd(), png)}`);
    });

    it("the release report draws requests/s, failures and p99 per version and each server's moves and bakes on one time axis", async () => {
        const report = JSON.parse(fs.readFileSync(path.join(fixtures, "demo-report.json"), "utf8")) as ReleaseReport;
        const file = path.join(out, "demo-report.html");
        fs.writeFileSync(file, await formatReportHtml(report));
        const [timeline, ...rest] = await drawnCharts(file);
        assert.equal(rest.length, 0, "one chart: the timeline's panels share their time axis");
        for (const title of ["Requests per second by the version that answered", "Failed requests per second", "p99 latency per second", "Each server's moves and canary bakes"]) {
            assert.ok(timeline.title.includes(title), `${timeline.title} lacks ${title}`);
        }
        assertDrawn(timeline, 4); // failures and p99 of v1 and v2
        const seconds = new Set(report.traffic.timeline?.map((t) => t.t)).size;
        assert.ok((timeline.marks["mark-rect"] ?? 0) >= seconds + report.events.length / 2, `${JSON.stringify(timeline.marks)}: a bar a second and a span a step`);
        const png = path.join(out, "demo-report.png");
        assert.deepEqual(await screenshot(file, png, 1300, 1100), { width: 1300, height: 1100 });
        console.log(`      ${path.relative(process.cwd(), png)}`);
    });

    it("counts a chart with axes but no data as empty", async () => {
        const empty = await svg({ title: "nothing", width: 400, height: 200, data: { values: [] }, mark: "line", encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } } });
        const file = path.join(out, "empty.html");
        fs.writeFileSync(file, `<!doctype html><html><body>${empty}</body></html>`);
        const [c] = await drawnCharts(file);
        assert.equal(c.marks["mark-line"] ?? 0, 0);
        assert.equal(c.colouredPixels, 0);
    });
});
