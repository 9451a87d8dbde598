// The staged release on the real engine, real HAProxy, real PostgreSQL and real HTTP load.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import type { Traffic } from "../../src/load/traffic";
import { checkOneAtATime, readEvents, ReleaseEvent } from "../../src/release/report";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

const servers = ["web-1", "web-2", "web-3"];

describe("a staged release on the local default", function () {
    this.timeout(240_000);

    let local: LocalStack;
    let stack: Stack;
    let eventsFile: string;

    /** Runs one stage under load; returns the stage, the traffic and the events it caused. */
    async function stageUnderLoad(stage: Stage): Promise<{ result: StageResult; traffic: Traffic; events: ReleaseEvent[] }> {
        const since = Date.now();
        const { result, traffic } = await local.underLoad(stage);
        return { result, traffic, events: readEvents(eventsFile, since) };
    }

    const versions = (r: StageResult) => Object.fromEntries(r.servers.map((s) => [s.name, s.version]));
    const moved = (events: ReleaseEvent[]) => [...new Set(events.map((e) => e.server))];
    /** Names of servers the engine touched: any step but "same" on their resources. */
    const touched = (r: StageResult) => servers.filter((s) => r.steps.some((step) => step.name.includes(`-${s}-`)));

    before(async () => {
        local = await openLocalStack("e2e-release", { drainTimeoutSeconds: "5", healthTimeoutSeconds: "4" });
        stack = local.stack;
        eventsFile = path.join(local.dir, "events.jsonl");
        assert.deepEqual(versions(local.first), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
    });
    after(() => local?.close());

    it("moves each canary through drain, deploy, reattach, one at a time, with no failed request", async () => {
        const stages: [Stage, string, Record<string, string>][] = [
            [{ name: "canary 1", config: { releaseVersion: "v2", canaryCount: "1" } }, "web-1", { "web-1": "v2", "web-2": "v1", "web-3": "v1" }],
            [{ name: "canary 2", config: { canaryCount: "2" } }, "web-2", { "web-1": "v2", "web-2": "v2", "web-3": "v1" }],
            [{ name: "canary 3", config: { canaryCount: "3" } }, "web-3", { "web-1": "v2", "web-2": "v2", "web-3": "v2" }],
        ];
        for (const [stage, server, want] of stages) {
            const { result, traffic, events } = await stageUnderLoad(stage);
            assert.ok(result.ok, result.error);
            assert.deepEqual(versions(result), want, stage.name);
            assert.ok(result.servers.every((s) => s.inLoadBalancer), `${stage.name}: every server back in the load balancer`);
            assert.equal(traffic.failed, 0, `${stage.name}: failed requests ${JSON.stringify(traffic.failures)}`);
            assert.ok(traffic.requests > 100, `${stage.name}: only ${traffic.requests} requests`);
            assert.deepEqual(moved(events), [server], `${stage.name}: events ${JSON.stringify(events)}`);
            assert.deepEqual(events.map((e) => `${e.step}:${e.phase}`), [
                "drain:start", "drain:end", "deploy:start", "deploy:end", "reattach:start", "reattach:end",
            ]);
            assert.deepEqual(touched(result), [server], `${stage.name}: the engine touched ${JSON.stringify(result.steps)}`);
        }
    });

    it("previews the stack it left as unchanged: no drain shown that would not happen", async () => {
        // every deploy recorded no failure (no output in the state), which a preview reads as
        // unknown; "read" is the stack reference to its own last outputs (last-up), read every time
        const preview = await stack.preview();
        const changes = Object.entries(preview.changeSummary).filter(([op]) => op !== "same" && op !== "read");
        assert.deepEqual(changes, [], JSON.stringify(preview.changeSummary));
        assert.ok((preview.changeSummary.same ?? 0) > 10, JSON.stringify(preview.changeSummary));
    });

    it("rolls one server back by lowering canaryCount, with no failed request", async () => {
        const { result, traffic, events } = await stageUnderLoad({ name: "roll web-3 back", config: { canaryCount: "2" } });
        assert.ok(result.ok, result.error);
        assert.deepEqual(versions(result), { "web-1": "v2", "web-2": "v2", "web-3": "v1" });
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        assert.deepEqual(moved(events), ["web-3"]);
        assert.deepEqual(touched(result), ["web-3"]);
    });

    it("stops at a release whose health check fails, keeps that server out, and recovers on the old version", async () => {
        const { result, traffic } = await stageUnderLoad({ name: "broken release", config: { releaseVersion: "broken", canaryCount: "1" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /server web-1 \(broken\): health check http:\/\/127\.0\.0\.1:\d+\/health failed for 4000 ms \(last: HTTP 503\)/);
        assert.equal(traffic.failed, 0, `the other servers serve: ${JSON.stringify(traffic.failures)}`);
        assert.deepEqual(Object.keys(traffic.byVersion).sort(), ["v1", "v2"]);
        const runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        assert.equal((await runtime.serverStat("webshop", "web-1")).status, "MAINT");
        assert.deepEqual((await runtime.serverStats("webshop")).map((s) => s.status), ["MAINT", "UP", "UP"]);

        const back = await stageUnderLoad({ name: "back to v2", config: { releaseVersion: "v2", canaryCount: "2" } });
        assert.ok(back.result.ok, back.result.error);
        assert.deepEqual(versions(back.result), { "web-1": "v2", "web-2": "v2", "web-3": "v1" });
        assert.ok(back.result.servers.every((s) => s.inLoadBalancer));
        assert.equal(back.traffic.failed, 0, JSON.stringify(back.traffic.failures));
        assert.deepEqual((await runtime.serverStats("webshop")).map((s) => s.status), ["UP", "UP", "UP"]);
    });

    it("moves three servers in one up (canaryCount 0 to 3) still one at a time", async () => {
        const promote = await runStage(stack, { name: "promote v2", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } });
        assert.ok(promote.ok, promote.error);
        assert.deepEqual(touched(promote), ["web-3"]);

        const { result, traffic, events } = await stageUnderLoad({ name: "v3 on all", config: { releaseVersion: "v3", canaryCount: "3" } });
        assert.ok(result.ok, result.error);
        assert.deepEqual(versions(result), { "web-1": "v3", "web-2": "v3", "web-3": "v3" });
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        assert.deepEqual(moved(events), servers);
        assert.deepEqual(checkOneAtATime(events), []);
        assert.equal(events.length, 18);
    });
});
