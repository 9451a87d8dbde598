// The canary's metric checks on the real engine: the stack's own Prometheus (Debian's 2.42)
// scrapes HAProxy's exporter, zdr's process exporter and the webshop's /metrics every second;
// releases that answer every request as fast as v2, with no error line, fail on the one metric
// that shows their fault within a 60 s bake: memory growing ~5 MB/s ("leaky"), twice the CPU per
// request ("cpuhog"), orders acknowledged but not written ("noorders"); a healthy v2 passes every
// metric check. Each is compared with its fresh baseline (a v1 process started with its bake). Under load with slow requests in flight, no failed request and HAProxy's
// retries, redispatches, connection and response errors at 0.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startLoad } from "../../src/load/traffic";
import { runStage } from "../../src/release/stages";
import { errorCounters, sampleCounters } from "../../src/haproxy/counters";
import { LocalStack, openLocalStack } from "../support/local-stack";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The team's own check: orders written per request, from the webshop's metricsPath. */
const ordersCheck = {
    name: "orders-per-request",
    query: 'sum(rate(webshop_orders_total{server="{server}"}[10s])) / sum(rate(webshop_requests_total{server="{server}"}[10s]))',
    better: "higher",
    tolerance: 0.5,
};

interface Check {
    name: string;
    verdict: string;
    detail: string;
}

describe("canary metric checks from the stack's Prometheus (local default)", function () {
    this.timeout(900_000);

    let local: LocalStack;
    before(async () => {
        // the latency check is not what this file tests: a Node canary just started on this busy
        // machine can be slower than the warm baseline for seconds (in one run the leaky canary,
        // p50 13 ms against 10 ms 12 s in), as in hosts-app-log.test.ts
        local = await openLocalStack("e2e-canary-metrics", { bakeSeconds: "60", canaryWarmupSeconds: "10", canaryLatencyFloorMs: "20" });
        // a list of objects, set by path as `pulumi config set --path` does
        await local.stack.setAllConfig(Object.fromEntries(Object.entries(ordersCheck).map(([k, v]) => [`zdr:canaryMetrics[0].${k}`, { value: String(v) }])), true);
    });
    after(() => local?.close());

    /** One canary of `version` under load (shop mix and slow pages), its report and what the load and HAProxy saw. */
    async function canary(version: string, extra: Record<string, string> = {}) {
        const counters = sampleCounters(path.join(local.dir, "haproxy-master.sock"), "webshop", 300);
        const load = startLoad(local.lbUrl, { rate: 150, connections: 6, maxSeconds: 300 });
        const slow = startLoad(local.lbUrl, { rate: 4, connections: 8, maxSeconds: 300, paths: ["/slow?ms=1000"] });
        await sleep(500);
        const started = Date.now();
        let output = "";
        const result = await runStage(local.stack, { name: `${version} canary`, config: { releaseVersion: version, canaryCount: "1", ...extra } }, (l) => (output += l));
        const upSeconds = (Date.now() - started) / 1000;
        await sleep(500);
        const traffic = await load.stop();
        const slowTraffic = await slow.stop();
        const stats = await counters.stop();
        const reportFile = path.join(local.dir, `judgements/web-1-${version}.json`);
        const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
        const evidence = JSON.parse(fs.readFileSync(reportFile.replace(/\.json$/, ".metrics.json"), "utf8"));
        const metric = (name: string) => report.checks.find((c: Check) => c.name === `metric: ${name}`) as Check;
        assert.equal(traffic.failed + slowTraffic.failed, 0, JSON.stringify([...traffic.failures, ...slowTraffic.failures].slice(0, 5)));
        assert.ok(slowTraffic.requests > 20, `slow requests: ${slowTraffic.requests}`);
        assert.deepEqual(errorCounters(stats), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(stats.servers));
        const summary = `${version}: up ${upSeconds.toFixed(0)} s, bake ${((report.to - report.from) / 1000).toFixed(1)} s, verdict ${report.verdict}; ${report.checks
            .filter((c: Check) => c.name.startsWith("metric: ") || c.verdict === "fail")
            .map((c: Check) => `${c.name} ${c.verdict} (${c.detail})`)
            .join("; ")}; ${traffic.requests} + ${slowTraffic.requests} slow requests, 0 failed; wretr/wredis/econ/eresp 0`;
        return { result, report, evidence, metric, summary, output };
    }

    async function rollBack() {
        const back = await runStage(local.stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0", canaryLatencyFloorMs: "20", canaryWarmupSeconds: "10" } });
        assert.ok(back.ok, back.error);
    }

    it("refuses a query Prometheus cannot parse at preview, naming the key and the check, with Prometheus' own error", async () => {
        await local.stack.setConfig("zdr:canaryMetrics[0].query", { value: "sum(rate(webshop_orders_total[10s])" }, true);
        try {
            const preview = await local.stack.preview().then(
                () => "",
                (e: Error) => e.message,
            );
            assert.match(preview, /zdr:canaryMetrics: the query of "orders-per-request" is not valid PromQL: could not parse expression: 1:\d+: parse error: unclosed left parenthesis/);
        } finally {
            await local.stack.setConfig("zdr:canaryMetrics[0].query", { value: ordersCheck.query }, true);
        }
    });

    it("fails a canary whose memory grows ~5 MB/s on its memory check alone, within a 60 s bake", async () => {
        const { result, report, evidence, metric, summary, output } = await canary("leaky");
        console.log(`      ${summary}`);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(leaky\) failed its judgement against web-2, web-3/);
        assert.match(result.error ?? "", /metric: memory +fail .*canary [\d.]+M vs baseline [\d.]+M/);
        assert.equal(metric("memory").verdict, "fail", metric("memory").detail);
        // only metrics show it: no request check fails (the leak also costs CPU per request: its
        // allocations and the collector's work, so cpu-per-request may fail beside it)
        for (const c of report.checks as Check[]) {
            if (!c.name.startsWith("metric: ")) {
                assert.notEqual(c.verdict, "fail", `${c.name}: ${c.detail}`);
            }
        }
        assert.notEqual(metric("orders-per-request").verdict, "fail");
        assert.ok(report.to - report.from < 60_000, "decided before the end of the bake");
        // the live line of the bake shows each metric per side
        assert.match(output, /\| metrics cpu-per-request .*, memory [\d.]+M vs [\d.]+M -?[\d.]+, orders-per-request .* \(fail at 0\)/);
        // like with like: the metrics are compared with the canary's fresh baseline alone
        assert.deepEqual(evidence.baseline, [report.freshBaseline.server]);
        assert.match(report.freshBaseline.server, /^zdr-fresh-web-1$/);
        const memory = evidence.checks.find((c: { name: string }) => c.name === "memory");
        assert.ok(memory.points.length > 5 && memory.points.every((p: { canary: number }) => p.canary > 0), "the evidence beside the judgement has the points read");
        assert.ok(memory.points.at(-1).canary > memory.points[0].canary + 20e6, "the canary's memory grew over the bake");
        await rollBack();
    });

    it("passes a healthy v2 canary on every metric check", async () => {
        const { result, report, metric, summary } = await canary("v2");
        console.log(`      ${summary}`);
        assert.ok(result.ok, result.error);
        assert.ok(["pass", "inconclusive"].includes(report.verdict), report.verdict);
        for (const name of ["cpu-per-request", "memory", "orders-per-request"]) {
            assert.equal(metric(name).verdict, "pass", `${name}: ${metric(name).detail}`);
        }
        await rollBack();
    });

    it("fails a canary spending twice the CPU per request on cpu-per-request, its requests' latency left out", async () => {
        // Twice the CPU keeps the latency only with a core to spare: on this machine at a load
        // average of 24-30 the extra CPU itself slowed the canary's requests (+146% to +306%, the
        // latency check failed it 13 s in; at a load of about 20 it did not, and the CPU check failed
        // it 30 s in), and at 21-35 a request check failed 8 of 11 cpuhog canaries 13-30 s in (the tail
        // check in the 6 the bench named: 39% of requests above 20 ms against its baseline's 6.5% in
        // one; bench/canary-metrics-aa.ts), before the CPU check's earliest failure at about 31 s. Those checks are
        // right to fail it there; what this test shows is the CPU check, so its stage leaves the
        // latency and tail checks out for the whole bake (canaryWarmupSeconds, errors still counted).
        const { result, report, metric, summary } = await canary("cpuhog", { canaryWarmupSeconds: "60" });
        console.log(`      ${summary}`);
        assert.equal(result.ok, false);
        assert.equal(metric("cpu-per-request").verdict, "fail", metric("cpu-per-request").detail);
        assert.notEqual(metric("orders-per-request").verdict, "fail");
        assert.notEqual(metric("memory").verdict, "fail");
        for (const c of report.checks as Check[]) {
            if (!c.name.startsWith("metric: ")) {
                assert.notEqual(c.verdict, "fail", `${c.name}: ${c.detail}`);
            }
        }
        await rollBack();
    });

    it("fails a canary that acknowledges orders without writing them on the team's orders check", async () => {
        const { result, report, metric, summary } = await canary("noorders");
        console.log(`      ${summary}`);
        assert.equal(result.ok, false);
        assert.equal(metric("orders-per-request").verdict, "fail", metric("orders-per-request").detail);
        assert.notEqual(metric("memory").verdict, "fail");
        for (const c of report.checks as Check[]) {
            if (!c.name.startsWith("metric: ")) {
                assert.notEqual(c.verdict, "fail", `${c.name}: ${c.detail}`);
            }
        }
        await rollBack();
    });
});
