// Canary judgement on the real engine: a faulty release is stopped at its first server, the
// rest of the fleet never gets it, and rolling that server back fails no request of its own.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { startLoad, Traffic } from "../../src/load/traffic";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { freePort, freePortRange } from "../support/ports";

describe("canary judgement on the local default", function () {
    this.timeout(300_000);

    const stackName = `e2e-canary-${process.pid}`;
    const localDir = path.join(projectRoot, ".zdr/local", stackName);
    let stateDir: string;
    let stack: Stack;
    let lbUrl: string;

    async function underLoad(stage: Stage): Promise<{ result: StageResult; traffic: Traffic }> {
        const load = startLoad(lbUrl, { rate: 200, connections: 8, maxSeconds: 200 });
        await new Promise((r) => setTimeout(r, 300));
        const result = await runStage(stack, stage);
        const traffic = await load.stop();
        return { result, traffic };
    }

    /** The version each server's deploy runs, from the engine's state. */
    async function deployedVersions(): Promise<Record<string, string>> {
        const state = await stack.exportStack();
        const out: Record<string, string> = {};
        for (const r of state.deployment.resources) {
            const m = /::webshop-(web-\d)-deploy$/.exec(r.urn);
            if (m) {
                out[m[1]] = r.outputs.env.APP_VERSION;
            }
        }
        return out;
    }

    before(async () => {
        fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(projectRoot, stackName, stateDir);
        const lbPort = await freePort();
        lbUrl = `http://127.0.0.1:${lbPort}`;
        const first = await runStage(stack, {
            name: "v1",
            config: { lbPort: String(lbPort), appBasePort: String(await freePortRange(3)), dbPort: String(await freePort()), healthCheckIntervalMs: "200", drainTimeoutSeconds: "5", healthTimeoutSeconds: "10", bakeSeconds: "6", minSamples: "60" },
        });
        assert.ok(first.ok, first.error);
    });

    after(async () => {
        if (stack) {
            await stack.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
            await stack.workspace.removeStack(stackName).catch(() => undefined);
        }
        fs.rmSync(stateDir, { recursive: true, force: true });
        fs.rmSync(localDir, { recursive: true, force: true });
    });

    it("passes a healthy canary and records the verdict in the stack outputs", async () => {
        const { result, traffic } = await underLoad({ name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1" } });
        assert.ok(result.ok, result.error);
        assert.equal(traffic.failed, 0);
        assert.deepEqual(result.servers.map((s) => [s.name, s.version, (s as { verdict?: string }).verdict]), [["web-1", "v2", "pass"], ["web-2", "v1", undefined], ["web-3", "v1", undefined]]);
        const back = await runStage(stack, { name: "back to v1", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
    });

    it("stops a release that fails 3% of its requests at canaryCount 1, with the comparison in the message", async () => {
        const { result, traffic } = await underLoad({ name: "faulty canary", config: { releaseVersion: "faulty", canaryCount: "1" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(faulty\) failed its judgement against web-2, web-3 after 6 s/);
        assert.match(result.error ?? "", /new-error: injected fault: pay\s+fail\s+[\d.e+-]+\s+\d+ canary requests \([\d.]+%\) failed with an error the baseline never showed/);
        assert.deepEqual(await deployedVersions(), { "web-1": "faulty", "web-2": "v1", "web-3": "v1" });
        assert.ok(traffic.failed > 0, "the canary's own errors");
        assert.ok(traffic.failures.every((f) => f.version === "faulty"), JSON.stringify(traffic.failures));
        const report = JSON.parse(fs.readFileSync(path.join(localDir, "judgements/web-1-faulty.json"), "utf8"));
        assert.equal(report.verdict, "fail");
    });

    it("refuses to move the next server while the failing canary stands", async () => {
        const { result } = await underLoad({ name: "next stage", config: { canaryCount: "2" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(faulty\) failed its judgement/);
        assert.deepEqual(await deployedVersions(), { "web-1": "faulty", "web-2": "v1", "web-3": "v1" });
    });

    it("rolls the canary back with no failed request beyond the canary's own errors", async () => {
        const { result, traffic } = await underLoad({ name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(result.ok, result.error);
        assert.deepEqual(await deployedVersions(), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.ok(traffic.failures.every((f) => f.version === "faulty"), JSON.stringify(traffic.failures));
        console.log(`      rollback: ${traffic.requests} requests, ${traffic.failed} failed, all on the faulty canary before its drain`);
    });
});
