// The metric checks against a real Prometheus (Debian's 2.42, started here on loopback) scraping a
// small exporter whose values the test sets: a canary beyond its tolerance fails, a healthy one
// passes, and no data (Prometheus down, the canary not scraped, a query Prometheus refuses) leaves
// the check undecided with why, never passed.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { MetricJudge } from "../../../src/monitors/metric-judge";
import { PrometheusClient } from "../../../src/monitors/prometheus";
import { withMetrics } from "../../../src/monitors/verdict";
import { judge } from "../../../src/canary/judge";
import { freePort } from "../../support/ports";
import { main } from "../../../src/cli";
import { watchFile } from "../../../src/monitors/prometheus-config";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("metric checks read from a real Prometheus", function () {
    this.timeout(120_000);
    const values: Record<string, number> = { "web-1": 100, "web-2": 100, "web-3": 100, "web-4": 300 };
    let exporter: http.Server;
    let prometheus: ChildProcess;
    let url: string;
    let dir: string;
    let from: number;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-metric-judge-"));
        const exporterPort = await freePort();
        const promPort = await freePort();
        exporter = http.createServer((_, res) => res.end(Object.entries(values).map(([s, v]) => `shop_memory_bytes{server="${s}"} ${v}\n`).join("")));
        await new Promise<void>((r) => exporter.listen(exporterPort, "127.0.0.1", r));
        fs.writeFileSync(path.join(dir, "p.yml"), JSON.stringify({ global: { scrape_interval: "1s", scrape_timeout: "1s" }, scrape_configs: [{ job_name: "x", static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }] }));
        from = Date.now();
        prometheus = spawn("prometheus", [`--config.file=${path.join(dir, "p.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: "ignore" });
        url = `http://127.0.0.1:${promPort}`;
        // bounded: until Prometheus holds 20 points of each server (a busy machine starts it slowly)
        const client = new PrometheusClient(url);
        for (let i = 0; i < 180; i++) {
            await sleep(500);
            const now = Math.floor(Date.now() / 1000);
            const series = await client.queryRange({ query: 'shop_memory_bytes{server="web-3"}', start: now - 120, end: now, stepSeconds: 1 }).catch(() => []);
            if ((series[0]?.values.length ?? 0) >= 20 && Date.now() - from > 22_000) {
                break;
            }
        }
    });
    after(() => {
        if (prometheus?.pid) {
            process.kill(prometheus.pid, "SIGTERM");
        }
        exporter?.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const check = { name: "memory", query: 'shop_memory_bytes{server="{server}"}', better: "lower" as const, tolerance: 0.5 };
    const judgeOf = (canary: string, o: Partial<ConstructorParameters<typeof MetricJudge>[0]> = {}) =>
        new MetricJudge({ prometheus: { url, instances: {} }, checks: [check], canary, baseline: ["web-2", "web-3"], from, alpha: 0.001, ...o });

    it("fails a canary three times its baseline on a lower-is-better metric, with the comparison in the detail", async () => {
        const m = judgeOf("web-4");
        await m.poll();
        const [c] = m.checks();
        assert.equal(m.decision, "fail");
        assert.equal(c.verdict, "fail", c.detail);
        assert.match(c.detail, /^canary 300 vs baseline 100 \(medians of the last \d+ s\); beyond the tolerance \(at most 1.5x the baseline, lower is better\) in (\d+) of \1 steps; failed at .* s into the bake\)/);
        const [e] = m.evidence();
        assert.ok(e.points.length >= 10 && e.points.every((p) => p.canary === 300 && p.worse), JSON.stringify(e.points.slice(0, 3)));
    });

    it("passes a canary like its baseline, and the verdict passes only with the request judge's pass", async () => {
        const m = judgeOf("web-1");
        await m.poll();
        assert.equal(m.checks()[0].verdict, "pass", m.checks()[0].detail);
        assert.equal(m.decision, undefined);
        assert.ok(m.allPassed());
        const ok = { status: 200, latencyMs: 5 };
        const passing = judge(Array(3000).fill(ok), Array(1500).fill(ok));
        assert.equal(passing.verdict, "pass");
        assert.equal(withMetrics(passing, m).verdict, "pass");
        assert.equal(withMetrics({ ...passing, verdict: "inconclusive" }, m).verdict, "inconclusive");
    });

    it("leaves the check undecided, never passed, when Prometheus does not answer", async () => {
        const m = judgeOf("web-1", { prometheus: { url: `http://127.0.0.1:${await freePort()}`, instances: {} } });
        await m.poll();
        const [c] = m.checks();
        assert.equal(c.verdict, "undecided");
        assert.match(c.detail, /undecided: no read succeeded \(1 failed; last: Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
        const ok = { status: 200, latencyMs: 5 };
        assert.equal(withMetrics(judge(Array(3000).fill(ok), Array(1500).fill(ok)), m).verdict, "inconclusive");
    });

    it("leaves the check undecided when the canary is not scraped", async () => {
        const m = judgeOf("web-9");
        await m.poll();
        assert.equal(m.checks()[0].verdict, "undecided");
        assert.match(m.checks()[0].detail, /undecided: no data for the canary web-9 \(not scraped, or the query matches none of its series\)/);
    });

    it("says Prometheus' own error for a query it refuses", async () => {
        const m = judgeOf("web-1", { checks: [{ ...check, query: 'rate(shop_memory_bytes{server="{server}"})' }] });
        await m.poll();
        assert.equal(m.checks()[0].verdict, "undecided");
        assert.match(m.checks()[0].detail, /undecided: Prometheus refused the query: bad_data: .*range vector/);
    });

    it("zdr watch shows and judges the stack's metric checks beside its requests, and exits 1 on a failing one", async () => {
        const stackDir = path.join(dir, "stack");
        fs.mkdirSync(path.dirname(watchFile(stackDir)), { recursive: true });
        fs.writeFileSync(path.join(stackDir, "haproxy.log"), "");
        fs.writeFileSync(watchFile(stackDir), JSON.stringify({ url, instances: {}, checks: [check] }));
        let out = "";
        const since = String(Math.ceil((Date.now() - from) / 1000));
        const code = await main(["watch", "--dir", stackDir, "--canary", "web-4", "--baseline", "web-2,web-3", "--since", since, "--every", "0.5", "--max-seconds", "10"], (x) => (out += x), (x) => (out += x));
        assert.equal(code, 1, out);
        assert.match(out, /\| metrics memory 300 vs 100 -?[\d.]+ \(fail at 0\)/);
        assert.match(out, /metric: memory +fail/);
    });

    it("reads at most one read's worth of steps a poll (bounded in points), and each read within its time-out", async () => {
        const m = judgeOf("web-1", { from: Date.now() - 3600_000, readTimeoutMs: 3000 });
        const t = Date.now();
        await m.poll();
        assert.ok(Date.now() - t < 3500);
        const [e] = m.evidence();
        assert.ok(e.steps.judged + e.steps.missing + e.steps.warmup <= 600, JSON.stringify(e.steps));
    });
});
