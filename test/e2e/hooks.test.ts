// The team's hooks on the real engine and real HAProxy: a smoke test (test/e2e/fixtures/hooks/
// smoke.js) as beforeAllowTraffic catches the faulty version before it takes any customer
// request: its server stays out, the up stops with the smoke test's output, and the other
// servers serve the load with no failed request.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { hookRuns } from "../../src/release/report";
import type { ServerState } from "../../components/fleet";
import { LocalStack, openLocalStack } from "../support/local-stack";

const smoke = ["node", "test/e2e/fixtures/hooks/smoke.js", "{port}", "{version}"];

describe("lifecycle hooks on the local default", function () {
    this.timeout(400_000);
    let local: LocalStack;

    before(async () => {
        local = await openLocalStack("e2e-hooks", { beforeAllowTraffic: smoke, afterAllowTraffic: ["node", "-e", "console.log('after', process.argv[1])", "{server}"], hookTimeoutSeconds: "30" });
    });
    after(() => local?.close());

    const servers = async () => (await local.stack.outputs()).servers.value as ServerState[];

    it("runs both hooks for every server of the first up and shows their results in the outputs", async () => {
        const s = await servers();
        assert.deepEqual(s.map((x) => [x.name, x.version, x.inLoadBalancer]), [["web-1", "v1", true], ["web-2", "v1", true], ["web-3", "v1", true]]);
        for (const x of s) {
            assert.deepEqual(x.hooks?.map((h) => [h.hook, h.exitCode]), [["beforeAllowTraffic", 0], ["afterAllowTraffic", 0]], JSON.stringify(x));
            const after = x.hooks?.find((h) => h.hook === "afterAllowTraffic");
            assert.deepEqual([after?.command, after?.outputTail], [["node", "-e", "console.log('after', process.argv[1])", x.name], `after ${x.name}\n`]);
        }
    });

    it("keeps the faulty canary out when its smoke test fails, stops the up with the output, and the others serve", async () => {
        const { result, traffic } = await local.underLoad({ name: "faulty canary", config: { releaseVersion: "faulty", canaryCount: "1" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /beforeAllowTraffic of web-1 \(.*smoke\.js.*\) exited with 1; its output:\s+smoke test of faulty at http:\/\/127\.0\.0\.1:\d+\/products: \d+ of 400 requests failed \(first: HTTP 500 from faulty/);
        assert.match(result.error ?? "", /web-1 stays out of the load balancer/);
        const runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        assert.deepEqual((await runtime.serverStats("webshop")).map((s) => [s.server, s.status]), [["web-1", "MAINT"], ["web-2", "UP"], ["web-3", "UP"]]);
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        assert.ok(traffic.requests > 100, `the load ran: ${traffic.requests}`);
        assert.equal(traffic.byVersion.faulty, undefined, "no customer request reached the faulty version");
        // the failed hook in the stage's servers (from the membership the state holds out) and the report
        const web1 = result.servers.find((x) => x.name === "web-1");
        assert.deepEqual([web1?.version, web1?.inLoadBalancer, web1?.hooks?.map((h) => [h.hook, h.exitCode])], ["faulty", false, [["beforeAllowTraffic", 1]]]);
        assert.match(web1?.hooks?.[0].outputTail ?? "", /smoke test of faulty at http:\/\/127\.0\.0\.1:\d+\/products: \d+ of 400 requests failed/);
        assert.deepEqual(hookRuns({ stages: [result] }).filter((h) => h.server === "web-1").map((h) => [h.stage, h.version, h.hook, h.exitCode]), [["faulty canary", "faulty", "beforeAllowTraffic", 1]]);
    });

    it("lets a good release through its smoke test: web-1 back on v2", async () => {
        const { result, traffic } = await local.underLoad({ name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1" } });
        assert.ok(result.ok, result.error);
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        const s = await servers();
        assert.deepEqual(s.map((x) => [x.name, x.version, x.inLoadBalancer]), [["web-1", "v2", true], ["web-2", "v1", true], ["web-3", "v1", true]]);
        assert.deepEqual(s[0].hooks?.map((h) => [h.hook, h.exitCode]), [["beforeAllowTraffic", 0], ["afterAllowTraffic", 0]]);
        // the release report lists web-1's two runs of this stage, with the smoke test's command
        const runs = hookRuns({ stages: [result] }).filter((h) => h.server === "web-1");
        assert.deepEqual(runs.map((h) => [h.stage, h.version, h.hook, h.exitCode]), [["v2 canary", "v2", "beforeAllowTraffic", 0], ["v2 canary", "v2", "afterAllowTraffic", 0]]);
        assert.deepEqual(runs[0].command?.slice(0, 2), ["node", "test/e2e/fixtures/hooks/smoke.js"]);
    });
});
