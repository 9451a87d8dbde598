// A faulty canary in a long bake on the real engine: the judgement fails it well before the
// bake's end, and from its verdict on no request reaches it (HAProxy's own per-server counters
// stand still while the load goes on); its process and its log are kept for inspection.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { requestsOf } from "../../src/canary/evidence";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { runStage } from "../../src/release/stages";
import { startLoad } from "../../src/load/traffic";
import { isSameProcessAlive } from "../../targets/local/provider/process";
import { errorCounters, sampleCounters } from "../../src/haproxy/counters";
import { LocalStack, openLocalStack } from "../support/local-stack";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a faulty canary in a long bake (local default)", function () {
    this.timeout(400_000);

    let local: LocalStack;
    before(async () => {
        local = await openLocalStack("e2e-canary-stop", { bakeSeconds: "120" });
    });
    after(() => local?.close());

    it("is failed well before the end of a 120 s bake and takes no request after its verdict", async () => {
        const runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        const counters = sampleCounters(path.join(local.dir, "haproxy-master.sock"), "webshop", 300);
        const load = startLoad(local.lbUrl, { rate: 200, connections: 6, maxSeconds: 300 });
        // slow requests in flight on every server, the canary's included, when it is left out
        const slow = startLoad(local.lbUrl, { rate: 6, connections: 12, maxSeconds: 300, paths: ["/slow?ms=1500"] });
        await sleep(500);
        const started = Date.now();
        let output = "";
        const result = await runStage(local.stack, { name: "faulty canary, 120 s bake", config: { releaseVersion: "faulty", canaryCount: "1" } }, (l) => (output += l));
        const upSeconds = (Date.now() - started) / 1000;
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(faulty\) failed its judgement against web-2, web-3 after [\d.]+ s \(of at most 120 s\)/);
        assert.match(result.error ?? "", /web-1 is out of the load balancer \(HAProxy state maint\); its process and logs are kept for inspection/);
        const report = JSON.parse(fs.readFileSync(path.join(local.dir, "judgements/web-1-faulty.json"), "utf8"));
        assert.equal(report.verdict, "fail");
        // the live line of the bake, as the provider sent it to the engine
        const liveLine = /web-1 \d+ s\/120 s: canary \d+ req [\d.]+% failed p50 \d+ p99 \d+ ms \| baseline \d+ req [\d.]+% failed p50 \d+ p99 \d+ ms \| evidence .* \(fails at 0\) \| \w+/.exec(output);
        assert.ok(liveLine, `no live line in the up's output (${output.length} characters): ${output.slice(-3000)}`);
        const bakeSeconds = (report.to - report.from) / 1000;
        assert.ok(bakeSeconds < 40, `decided ${bakeSeconds} s into the 120 s bake`);
        assert.ok(upSeconds < 90, `the up took ${upSeconds} s`);
        assert.ok(report.decidedAfter > 0 && report.decidedAfter <= report.counts.canary, JSON.stringify(report.counts));
        assert.ok(report.leftOutAt >= report.to && report.leftOutAt - report.to < 2000, `left out ${report.leftOutAt - report.to} ms after the verdict`);

        // HAProxy's counters of the canary stand still while the load goes on
        const before = await runtime.serverStats("webshop");
        await sleep(6000);
        const afterStats = await runtime.serverStats("webshop");
        const stat = (xs: typeof before, s: string) => xs.find((x) => x.server === s) as (typeof before)[number];
        assert.equal(stat(afterStats, "web-1").status, "MAINT");
        assert.equal(stat(afterStats, "web-1").stot, stat(before, "web-1").stot, "no new session on the left-out canary");
        assert.equal(stat(afterStats, "web-1").hrsp5xx, stat(before, "web-1").hrsp5xx);
        assert.equal(stat(afterStats, "web-1").scur, 0, "nothing in flight on it");
        for (const s of ["web-2", "web-3"]) {
            assert.ok(stat(afterStats, s).stot > stat(before, s).stot + 200, `${s} takes the load`);
        }
        const traffic = await load.stop();
        const slowTraffic = await slow.stop();
        const report2 = await counters.stop();
        // and HAProxy's own log has no request for it accepted after it was left out
        const late = requestsOf(path.join(local.dir, "haproxy.log"), ["web-1"], report.leftOutAt + 1, Date.now());
        assert.deepEqual(late, [], "requests of web-1 accepted after it was left out");
        assert.deepEqual(errorCounters(report2), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(report2.servers));
        assert.ok([...traffic.failures, ...slowTraffic.failures].every((f) => f.version === "faulty"), "only the canary's own errors");
        // 1.5 s pages at 6 a second over the up and the 6 s after it: slow requests were in flight throughout
        assert.ok(slowTraffic.requests > 30, `slow requests: ${slowTraffic.requests}`);

        // its process runs and its log is kept
        const state = await local.stack.exportStack();
        const deploy = state.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::webshop-web-1-deploy"));
        assert.ok(isSameProcessAlive(deploy.outputs.pid, deploy.outputs.startTicks), "the canary's process is kept");
        assert.ok(fs.statSync(path.join(local.dir, "logs/web-1.log")).size > 0, "the canary's log is kept");

        // the state keeps the failed judgement, and `zdr status` says the canary is left out and why
        const judgement = state.deployment.resources.find((r: { type: string }) => r.type === "zdr:canary:Judgement");
        assert.equal(judgement?.outputs.verdict, "fail");
        assert.equal(judgement?.outputs.leftOut, true);
        assert.deepEqual(judgement?.outputs.failedChecks, report.checks.filter((c: { verdict: string }) => c.verdict === "fail").map((c: { name: string }) => c.name));
        const status = await local.status();
        const row = status.rows.find((r) => r.server === "web-1");
        assert.equal(status.code, 0, JSON.stringify(status.rows));
        assert.equal(row?.lbStatus, "MAINT");
        assert.deepEqual(row?.drift, []);
        assert.match(row?.canary ?? "", /^left out after failing canary: .*error-rate.* \(faulty\); roll it back with a lower canaryCount or pin web-1=v1/);
        console.log(`      live line: ${liveLine[0]}`);
        console.log(
            `      failed after ${report.decidedAfter} canary requests, ${bakeSeconds.toFixed(1)} s into a 120 s bake (up ${upSeconds.toFixed(1)} s); left out ${report.leftOutAt - report.to} ms after the verdict; ` +
                `web-1 stot ${stat(before, "web-1").stot} -> ${stat(afterStats, "web-1").stot} over 6 s while web-2 ${stat(before, "web-2").stot} -> ${stat(afterStats, "web-2").stot}; ` +
                `load ${traffic.requests + slowTraffic.requests} requests, ${traffic.failed + slowTraffic.failed} failed (all faulty); wretr/wredis/econ/eresp 0`,
        );
    });

    it("stops the next up at the standing verdict, and leaves the canary out", async () => {
        const next = await runStage(local.stack, { name: "next stage", config: { canaryCount: "2" } });
        assert.equal(next.ok, false);
        assert.match(next.error ?? "", /canary web-1 \(faulty\) failed its judgement .*the verdict stands for this deployment/);
        const stat = await new HaproxyRuntime(path.join(local.dir, "haproxy.sock")).serverStat("webshop", "web-1");
        assert.equal(stat.status, "MAINT");
        const versions = next.servers.map((s) => s.version);
        assert.deepEqual((await local.status()).rows.map((r) => [r.server, r.stateVersion]), [["web-1", "faulty"], ["web-2", "v1"], ["web-3", "v1"]], JSON.stringify(versions));
    });

    it("rolls the left-out canary back to the stable version, which takes requests again", async () => {
        const back = await runStage(local.stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
        const web1 = back.servers.find((s) => s.name === "web-1");
        assert.equal(web1?.version, "v1");
        const runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        const before = (await runtime.serverStat("webshop", "web-1")).stot;
        const load = startLoad(local.lbUrl, { rate: 100, connections: 4, maxSeconds: 30 });
        await sleep(3000);
        const traffic = await load.stop();
        const after = await runtime.serverStat("webshop", "web-1");
        assert.equal(traffic.failed, 0);
        assert.ok(after.stot > before + 50, `web-1 stot ${before} -> ${after.stot}`);
        assert.match(after.status, /^UP/);
        const status = await local.status();
        assert.deepEqual(status.rows.map((r) => [r.server, r.stateVersion, r.lbStatus, r.drift, r.canary]), [["web-1", "v1", "UP", [], undefined], ["web-2", "v1", "UP", [], undefined], ["web-3", "v1", "UP", [], undefined]]);
    });
});
