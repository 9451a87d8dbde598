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
import { maxAnswerBytes, PrometheusClient } from "../../../src/monitors/prometheus";
import { CanaryJudge, type MetricChecksSetup } from "../../../src/canary/judge";
import { freePort } from "../../support/ports";
import { main } from "../../../src/cli";
import { lookbackDelta, watchFile } from "../../../src/monitors/prometheus-config";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("metric checks read from a real Prometheus", function () {
    this.timeout(120_000);
    const values: Record<string, number> = { "web-1": 100, "web-2": 100, "web-3": 100, "web-4": 300, "web-5": 100, "web-6": 100 };
    let exporter: http.Server;
    let exporterPort: number;
    let prometheus: ChildProcess;
    let url: string;
    let dir: string;
    let from: number;
    /** Prometheus' first sample (epoch s): a query over the bake so far needs a sample at its {from}. */
    let firstSample: number;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-metric-judge-"));
        exporterPort = await freePort();
        const promPort = await freePort();
        // and two counters: 50 requests a second, each costing a thousandth of its memory value in CPU seconds
        const started = Date.now();
        exporter = http.createServer((_, res) => {
            const requests = ((Date.now() - started) / 1000) * 50;
            res.end(Object.entries(values).map(([s, v]) => `shop_memory_bytes{server="${s}"} ${v}\nshop_requests_total{server="${s}"} ${requests}\nshop_cpu_seconds_total{server="${s}"} ${(requests * v) / 1e5}\n`).join(""));
        });
        await new Promise<void>((r) => exporter.listen(exporterPort, "127.0.0.1", r));
        fs.writeFileSync(path.join(dir, "p.yml"), JSON.stringify({ global: { scrape_interval: "1s", scrape_timeout: "1s" }, scrape_configs: [{ job_name: "x", static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }] }));
        from = Date.now();
        prometheus = spawn("prometheus", [`--config.file=${path.join(dir, "p.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`, `--query.lookback-delta=${lookbackDelta}`], { stdio: "ignore" });
        url = `http://127.0.0.1:${promPort}`;
        // bounded: until Prometheus holds 20 points of each server (a busy machine starts it slowly)
        const client = new PrometheusClient(url);
        for (let i = 0; i < 180; i++) {
            await sleep(500);
            const now = Math.floor(Date.now() / 1000);
            const series = await client.queryRange({ query: 'shop_memory_bytes{server="web-3"}', start: now - 120, end: now, stepSeconds: 1 }).catch(() => []);
            if ((series[0]?.values.length ?? 0) >= 20 && Date.now() - from > 22_000) {
                firstSample = series[0].values[0][0];
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
    /**
     * The canary judge with the metric check (at its share of the default alpha, 0.1%: the level
     * above), fed 1,500 canary and 3,000 baseline requests alike: its request checks pass.
     */
    const passingRequestsWith = (canary: string, o: Partial<MetricChecksSetup> = {}) => {
        const j = new CanaryJudge({}, { metrics: { prometheus: { url, instances: {} }, checks: [check], canary, baseline: ["web-2", "web-3"], from, ...o } });
        const ok = { status: 200, latencyMs: 5 };
        for (let i = 0; i < 3000; i++) {
            j.add("baseline", i, ok);
            if (i % 2 === 1) {
                j.add("canary", i, ok);
            }
        }
        return { j, metrics: j.metrics as NonNullable<CanaryJudge["metrics"]> };
    };

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

    it("judges a query over the bake so far from {from} (the warm-up's end), leaving out steps of a window under 5 s", async () => {
        const since = (c: string) => `sum(${c}{server="{server}"}) - sum(${c}{server="{server}"} @ {from})`;
        const perRequest = { name: "cpu-per-request", query: `(${since("shop_cpu_seconds_total")}) / (${since("shop_requests_total")})`, better: "lower" as const, tolerance: 0.5, warmupSeconds: 1 };
        // the bake starts at Prometheus' first sample; {from} is a second later, the first step judged 5 s after it
        const bake = firstSample * 1000;
        const first = firstSample + 1 + 5;
        const hog = judgeOf("web-4", { checks: [perRequest], from: bake, alpha: 0.05 });
        await hog.poll();
        const [h] = hog.evidence();
        assert.equal(h.verdict, "fail", hog.checks()[0].detail);
        assert.equal(h.points[0].t, first, "the first step judged is 5 s after {from}");
        assert.ok(h.points.every((p) => Math.abs(p.canary / 0.003 - 1) < 0.01 && Math.abs(p.baseline["web-2"] / 0.001 - 1) < 0.01), JSON.stringify(h.points.slice(0, 3)));
        const fine = judgeOf("web-1", { checks: [perRequest], from: bake, alpha: 0.05 });
        await fine.poll();
        const [f] = fine.evidence();
        assert.equal(f.verdict, "pass", fine.checks()[0].detail);
        assert.equal(f.steps.warmup, first - firstSample);
        assert.equal(f.steps.missing, 0);
    });

    it("passes a canary like its baseline, and the verdict passes only with the request checks' pass", async () => {
        const m = judgeOf("web-1");
        await m.poll();
        assert.equal(m.checks()[0].verdict, "pass", m.checks()[0].detail);
        assert.equal(m.decision, undefined);
        assert.ok(m.allPassed());
        const { j, metrics } = passingRequestsWith("web-1");
        assert.equal(j.judgement(false).verdict, "undecided", "the request checks' pass waits for the metric check");
        assert.equal(j.decision, undefined, "no early pass with a metric check");
        await metrics.poll();
        const passed = j.judgement(true);
        assert.equal(passed.verdict, "pass", JSON.stringify(passed.checks.map((c) => [c.name, c.verdict])));
        assert.deepEqual(passed.checks.map((c) => c.name), ["error-rate", "latency", "tail", "metric: memory"]);
        // no requests: the request checks did not pass
        const alone = new CanaryJudge({}, { metrics: { prometheus: { url, instances: {} }, checks: [check], canary: "web-1", baseline: ["web-2", "web-3"], from } });
        await alone.metrics?.poll();
        assert.equal(alone.judgement(true).verdict, "inconclusive");
    });

    it("fails the canary on a failing metric check, even after its request checks passed", async () => {
        const { j, metrics } = passingRequestsWith("web-4");
        await metrics.poll();
        const failed = j.judgement(true);
        assert.equal(failed.verdict, "fail");
        assert.deepEqual(failed.checks.filter((c) => c.verdict === "fail").map((c) => c.name), ["metric: memory"]);
        assert.equal(failed.decidedAfter, 1500, "the canary requests judged when it failed");
    });

    it("leaves the check undecided, never passed, when Prometheus does not answer", async () => {
        const m = judgeOf("web-1", { prometheus: { url: `http://127.0.0.1:${await freePort()}`, instances: {} } });
        await m.poll();
        const [c] = m.checks();
        assert.equal(c.verdict, "undecided");
        assert.match(c.detail, /undecided: no read succeeded \(1 failed; last: Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
        const { j, metrics } = passingRequestsWith("web-1", { prometheus: { url: `http://127.0.0.1:${await freePort()}`, instances: {} } });
        await metrics.poll();
        assert.equal(j.judgement(true).verdict, "inconclusive");
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
        fs.writeFileSync(watchFile(stackDir), JSON.stringify({ url, checks: [check] }));
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
    /** A Prometheus of its own (data in `data`, run as the stack runs its own), scraping the test's exporter; resolves once it holds `points` points of web-2. */
    async function ownPrometheus(data: string, port: number, points: number): Promise<ChildProcess> {
        fs.writeFileSync(path.join(dir, "own.yml"), JSON.stringify({ global: { scrape_interval: "1s", scrape_timeout: "1s" }, scrape_configs: [{ job_name: "x", static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }] }));
        const p = spawn("prometheus", [`--config.file=${path.join(dir, "own.yml")}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, `--query.lookback-delta=${lookbackDelta}`], { stdio: "ignore" });
        const client = new PrometheusClient(`http://127.0.0.1:${port}`);
        for (let i = 0; i < 240; i++) {
            await sleep(500);
            const now = Math.floor(Date.now() / 1000);
            const series = await client.queryRange({ query: 'shop_memory_bytes{server="web-2"}', start: now - 300, end: now, stepSeconds: 1 }).catch(() => []);
            if ((series[0]?.values.length ?? 0) >= points) {
                return p;
            }
        }
        throw new Error(`Prometheus on ${port} held fewer than ${points} points after 120 s`);
    }

    /** SIGTERM, then the exit (bounded: SIGKILL after 15 s). */
    async function stopProcess(p: ChildProcess): Promise<void> {
        if (p.exitCode !== null || p.signalCode !== null) {
            return;
        }
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await Promise.race([exited, sleep(15_000)]);
        if (p.exitCode === null && p.signalCode === null) {
            p.kill("SIGKILL");
            await exited;
        }
    }

    it("leaves a check undecided when Prometheus goes down during the bake, with when and why; the reads of its downtime are kept in the evidence", async () => {
        const port = await freePort();
        const data = path.join(dir, "own-data");
        let own = await ownPrometheus(data, port, 8);
        try {
            const bakeFrom = Date.now() - 6_000;
            const { j, metrics: m } = passingRequestsWith("web-1", { prometheus: { url: `http://127.0.0.1:${port}`, instances: {} }, from: bakeFrom });
            await m.poll();
            assert.ok(m.evidenceRecord()[0].steps.judged >= 3, JSON.stringify(m.evidenceRecord()[0].steps));
            const down = Date.now();
            await stopProcess(own);
            // the bake goes on 12 s with Prometheus down: every read of it fails
            for (let i = 0; i < 12; i++) {
                await sleep(1000);
                await m.poll();
            }
            m.end(Date.now());
            const [c] = m.rows();
            assert.equal(c.verdict, "undecided", c.detail);
            assert.match(c.detail, /undecided: Prometheus not read after \S+Z: the bake's last (\d+) s unread; reads failing since \S+Z \((\d+)\): Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
            assert.equal(j.judgement(true).verdict, "inconclusive", "never read as no regression");
            const [e] = m.evidenceRecord();
            assert.equal(e.outages.length, 1);
            assert.ok(e.outages[0].from >= down && e.outages[0].to === undefined && e.outages[0].failed >= 10, JSON.stringify(e.outages));
            // Prometheus back (its data on disk): the next read closes the outage, and the seconds it
            // did not scrape are missing steps, not judged ones
            own = await ownPrometheus(data, port, 1);
            await sleep(3000);
            await m.poll();
            const [after] = m.evidenceRecord();
            assert.ok(after.outages[0].to !== undefined && after.outages[0].to > down, JSON.stringify(after.outages));
            assert.ok(after.steps.missing >= 5, `the downtime's steps are missing: ${JSON.stringify(after.steps)}`);
        } finally {
            await stopProcess(own);
        }
    });

    it("leaves a check undecided when the canary is no longer scraped before the bake's end, saying since when", async () => {
        const m = judgeOf("web-5", { from: Date.now() - 10_000 });
        await m.poll();
        assert.ok(m.evidence()[0].steps.judged >= 5, JSON.stringify(m.evidence()[0].steps));
        // web-5 leaves the exporter's answer: Prometheus marks its series stale at the next scrape
        delete values["web-5"];
        const gone = Math.floor(Date.now() / 1000);
        for (let i = 0; i < 14; i++) {
            await sleep(1000);
            await m.poll();
        }
        m.end(Date.now());
        const [c] = m.checks();
        assert.equal(c.verdict, "undecided", c.detail);
        const since = /no value for the canary web-5 after (\S+Z), (\d+) s before the bake's end \(no longer scraped, or its series ended\)/.exec(c.detail);
        assert.ok(since, c.detail);
        assert.ok(Math.abs(Date.parse(since[1]) / 1000 - gone) <= 3, `${since[1]} vs ${new Date(gone * 1000).toISOString()}`);
        assert.equal(m.allPassed(), false);
    });

    it("leaves a check undecided when the canary is no longer scraped before its warm-up ends, saying so", async () => {
        // web-6 leaves the exporter's answer; the check's warm-up ends 3 s after: no judged step has its value
        delete values["web-6"];
        const gone = Date.now();
        await sleep(8000);
        const m = judgeOf("web-6", { from: gone - 5000, checks: [{ ...check, warmupSeconds: 8 }] });
        await m.poll();
        m.end(Date.now());
        const [c] = m.checks();
        const [e] = m.evidence();
        assert.ok(e.steps.warmup > 0 && e.steps.missing > 0 && e.steps.judged === 0, JSON.stringify(e.steps));
        assert.equal(c.verdict, "undecided", c.detail);
        assert.match(c.detail, /undecided: no value for the canary web-6 at any step judged \(\d+ missing after the warm-up: no longer scraped, or its series ended\)/);
        assert.equal(m.allPassed(), false);
    });

    it("abandons a read whose answer is larger than its bound, saying so", async () => {
        const big = http.createServer((_, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            const chunk = Buffer.alloc(64 * 1024, " ");
            let sent = 0;
            const more = () => {
                while (sent <= maxAnswerBytes + chunk.length && res.write(chunk)) {
                    sent += chunk.length;
                }
                if (sent <= maxAnswerBytes + chunk.length) {
                    res.once("drain", () => {
                        sent += chunk.length;
                        more();
                    });
                } else {
                    res.end();
                }
            };
            more();
        });
        const port = await freePort();
        await new Promise<void>((r) => big.listen(port, "127.0.0.1", r));
        try {
            const now = Math.floor(Date.now() / 1000);
            await assert.rejects(new PrometheusClient(`http://127.0.0.1:${port}`).queryRange({ query: "up", start: now - 10, end: now, stepSeconds: 1 }), /answered more than 4194304 bytes/);
        } finally {
            big.closeAllConnections();
            big.close();
        }
    });
});
