// Issue 28: a server's own steps record what went wrong instead of failing (so the engine never
// stops while the other servers of the batch are moving), and the batch's check fails the up.
// Real child processes for zdr:local:Process; the AWS wait with a failed deploy asks AWS nothing.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { targetHealthProvider } from "../../../targets/aws/provider/target-health";
import { hostsDeployProvider } from "../../../targets/hosts/provider/deploy";
import { isSameProcessAlive, processProvider } from "../../../targets/local/provider/process";
import type { ProcessOutputs } from "../../../contract/process";
import { unknownValue } from "../../../provider/diff";
import { batchCheckProvider, batchFailure } from "../../../provider/release/batch-check";

describe("recorded failures and the batch's check", function () {
    this.timeout(20_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-recorded-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const never = (port: number) => ({
        // listens on nothing: its health check never answers
        command: ["sh", "-c", "sleep 30"],
        logFile: path.join(dir, "app.log"),
        logRotation: false as const,
        label: "server web-3 (v2)",
        healthUrl: `http://127.0.0.1:${port}/health`,
        healthTimeoutMs: 400,
        stopTimeoutMs: 500,
    });

    it("a fleet deploy (recordFailure) that never gets healthy: created with its failure, nothing left running, and replaced at the next up", async () => {
        const inputs = { ...never(1), recordFailure: true };
        const r = await processProvider.create("urn", inputs);
        const outs = r.outs as ProcessOutputs;
        assert.match(outs.failure ?? "", /^server web-3 \(v2\): health check http:\/\/127\.0\.0\.1:1\/health failed for 400 ms/);
        assert.deepEqual([outs.pid, outs.startTicks], [0, ""]);
        assert.equal(isSameProcessAlive(outs.pid, outs.startTicks), false);
        const diff = await processProvider.diff(r.id, "urn", outs, inputs);
        assert.deepEqual([diff.changes, diff.replaces], [true, ["failure"]]);
        await processProvider.delete(r.id, "urn", outs); // nothing to stop
        const read = await processProvider.read(r.id, "urn", outs);
        assert.equal(read.id, "", "a refresh drops it");
    });

    it("any other process (no recordFailure) still fails its create", async () => {
        await assert.rejects(processProvider.create("urn", never(1)), /health check .* failed for 400 ms/);
    });

    it("recordFailure alone replaces nothing (a stack from before it)", async () => {
        const outs = { ...never(1), pid: 1, startTicks: "1" };
        assert.equal((await processProvider.diff("1", "urn", outs, { ...never(1), recordFailure: true })).changes, false);
    });

    it("a host that cannot be reached: the hosts deploy records it (key material redacted) and is deployed again at the next up", async () => {
        const inputs = {
            ssh: { host: "127.0.0.1", port: 1, user: "zdr", privateKey: "not-a-key", knownHosts: [], label: "web-3", connectTimeoutMs: 1000 },
            server: "web-3",
            version: "v2",
            deployCommand: "true",
            stopCommand: "true",
            commandTimeoutMs: 2000,
            health: { address: "127.0.0.1", port: 8080, path: "/health", timeoutMs: 500, intervalMs: 100 },
        };
        const r = await hostsDeployProvider.create("urn", inputs as never);
        assert.match(r.outs.failure ?? "", /^deploy of web-3 \(v2\): .*\nweb-3 stays out of the load balancer; the next `up` runs the deploy again$/s);
        assert.doesNotMatch(r.outs.failure, /not-a-key/);
        const diff = await hostsDeployProvider.diff(r.id, "urn", r.outs, inputs as never);
        assert.deepEqual([diff.changes, diff.replaces], [true, ["failure"]]);
    });

    it("the ALB wait of a server whose deploy failed registers nothing and records the server out", async () => {
        const inputs = { targetGroupArn: "arn:tg", targetId: "i-1", port: 8080, region: "eu-central-1", endpoint: "http://127.0.0.1:1", healthTimeoutSeconds: 5, drainTimeoutSeconds: 5, server: "web-3", version: "v2", deployFailure: "exit 1" };
        const r = await targetHealthProvider.create("urn", inputs);
        assert.deepEqual([r.outs.inLoadBalancer, r.outs.failure], [false, "web-3 stays out of the load balancer: its deploy failed: exit 1"]);
        assert.equal((await targetHealthProvider.diff(r.id, "urn", r.outs, inputs)).changes, true, "the next up tries again");
    });

    describe("zdr:release:BatchCheck", () => {
        const servers = ["web-3", "web-4"];
        it("passes a batch without failures", async () => {
            const r = await batchCheckProvider.create("urn", { servers, failures: {} });
            assert.equal(r.id, "batch-web-3+web-4");
            assert.equal(batchFailure({ servers, failures: {} }), undefined);
        });

        it("fails naming each failed server, its failure, the partners that serve and where to look next; kept in the state to check again", async () => {
            const failures = { "web-3": "beforeAllowTraffic of web-3 exited with 1; its output:\nsmoke: 500\nweb-3 stays out of the load balancer" };
            await assert.rejects(batchCheckProvider.create("urn", { servers, failures }), (e: Error & { id?: string; properties?: unknown; reasons?: string[] }) => {
                assert.equal(
                    e.message,
                    "the release stops at the batch web-3, web-4: web-3 failed; web-4 finished its own steps and serves\n" +
                        "web-3: beforeAllowTraffic of web-3 exited with 1; its output:\nsmoke: 500\nweb-3 stays out of the load balancer\n" +
                        "`npx zdr status` shows each server as the state has it, and what to do next for each server left out.",
                );
                assert.equal(e.id, "batch-web-3+web-4", "an id: the engine keeps it (failed to initialise) and updates it at the next up");
                assert.deepEqual(e.properties, { servers, failures });
                return true;
            });
            await assert.rejects(batchCheckProvider.update("batch-web-3+web-4", "urn", { servers, failures }, { servers, failures }), /web-3 failed/);
            // the next up, web-3 back: the check passes
            assert.deepEqual((await batchCheckProvider.update("batch-web-3+web-4", "urn", { servers, failures }, { servers, failures: {} })).outs, { servers, failures: {} });
        });

        it("says every failed server when all of a batch failed", () => {
            assert.match(batchFailure({ servers, failures: { "web-3": "a", "web-4": "b" } }) ?? "", /^the release stops at the batch web-3, web-4: web-3, web-4 failed\nweb-3: a\nweb-4: b\n/);
        });

        it("asks for an update only when a failure appears or goes", async () => {
            assert.equal((await batchCheckProvider.diff("b", "urn", { servers, failures: {} }, { servers, failures: {} })).changes, false);
            assert.equal((await batchCheckProvider.diff("b", "urn", { servers, failures: {} }, { servers, failures: { "web-3": "x" } })).changes, true);
            // a preview, while web-3 and web-4 move: their failures are not known yet
            assert.equal((await batchCheckProvider.diff("b", "urn", { servers, failures: {} }, { servers, failures: unknownValue as never })).changes, false);
        });
    });
});
