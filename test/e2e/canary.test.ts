// Canary judgement on the real engine: a faulty release is stopped at its first server, the
// rest of the fleet never gets it, and rolling that server back fails no request of its own.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { runStage, Stage } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

describe("canary judgement on the local default", function () {
    this.timeout(300_000);

    let local: LocalStack;
    const underLoad = (stage: Stage) => local.underLoad(stage, 200);

    /** The version each server's deploy runs, from the engine's state. */
    async function deployedVersions(): Promise<Record<string, string>> {
        const state = await local.stack.exportStack();
        const out: Record<string, string> = {};
        for (const r of state.deployment.resources) {
            const m = /::webshop-(web-\d)-deploy$/.exec(r.urn);
            if (m) {
                out[m[1]] = r.outputs.triggers[0];
            }
        }
        return out;
    }

    before(async () => {
        local = await openLocalStack("e2e-canary", { bakeSeconds: "8" });
    });
    after(() => local?.close());

    it("lets a healthy canary through (a pass, or inconclusive at the end of a short bake) and records the verdict in the stack outputs", async () => {
        const { result, traffic } = await underLoad({ name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1" } });
        assert.ok(result.ok, result.error);
        assert.equal(traffic.failed, 0);
        const verdicts = result.servers.map((s) => [s.name, s.version, (s as { verdict?: string }).verdict]);
        assert.deepEqual(verdicts.slice(1), [["web-2", "v1", undefined], ["web-3", "v1", undefined]]);
        assert.deepEqual(verdicts[0].slice(0, 2), ["web-1", "v2"]);
        assert.ok(["pass", "inconclusive"].includes(String(verdicts[0][2])), `web-1's verdict: ${verdicts[0][2]}`);
        const report = JSON.parse(fs.readFileSync(path.join(local.dir, "judgements/web-1-v2.json"), "utf8"));
        assert.equal(report.verdict, verdicts[0][2], "the report and the output agree");
        // compared with a fresh baseline of v1, gone once the judgement ended
        assert.equal(report.freshBaseline?.server, "zdr-fresh-web-1", JSON.stringify(report.freshBaseline));
        assert.ok(report.freshBaseline.joinedAt >= report.from && report.freshBaseline.removal === undefined, JSON.stringify(report.freshBaseline));
        assert.ok(report.counts.fresh > 0 && report.counts.fresh < report.counts.baseline, JSON.stringify(report.counts));
        const states = await new HaproxyRuntime(path.join(local.dir, "haproxy.sock")).serversState("webshop");
        assert.deepEqual(states.map((s) => s.server).sort(), ["web-1", "web-2", "web-3"], "the fresh baseline left HAProxy");
        assert.equal(fs.existsSync(path.join(local.dir, "logs/zdr-fresh-web-1.log.pid")), false, "its process was stopped");
        assert.match(fs.readFileSync(path.join(local.dir, "logs/zdr-fresh-web-1.log"), "utf8"), /"msg":"stopping","version":"v1"/, "it ran v1 and stopped on SIGTERM");
        console.log(`      healthy canary: ${verdicts[0][2]} (fresh baseline ${report.counts.fresh} requests)`);
        const back = await runStage(local.stack, { name: "back to v1", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
    });

    it("stops a release that fails 3% of its requests at canaryCount 1, with the comparison in the message", async () => {
        const { result, traffic } = await underLoad({ name: "faulty canary", config: { releaseVersion: "faulty", canaryCount: "1" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(faulty\) failed its judgement against web-2, web-3 after [\d.]+ s \(of at most 8 s\):/);
        // The fault shows three ways: the error rate, its x-error header and the app's own log line
        // (a new signature each). The new signatures are tested in a chain once the error rate
        // fails, in the order the canary first showed them; the verdict names what crossed.
        assert.match(result.error ?? "", /(error-rate {21}|new-error: (injected fault: payment gateway timeout|log: injected fault: payment gateway timeout[^\n]*?) )fail\s+[\d.e+-]+\s+/);
        assert.match(result.error ?? "", /new-error: injected fault: payment gateway timeout \w+\s+[\d.e+-]+\s+\d+ canary requests \([\d.]+%\) failed with an error the baseline never showed/);
        assert.deepEqual(await deployedVersions(), { "web-1": "faulty", "web-2": "v1", "web-3": "v1" });
        assert.ok(traffic.failed > 0, "the canary's own errors");
        assert.ok(traffic.failures.every((f) => f.version === "faulty"), JSON.stringify(traffic.failures));
        const report = JSON.parse(fs.readFileSync(path.join(local.dir, "judgements/web-1-faulty.json"), "utf8"));
        assert.equal(report.verdict, "fail");
        console.log(`      faulty canary: failed after ${report.decidedAfter} canary requests on ${report.checks.filter((c: { verdict: string }) => c.verdict === "fail").map((c: { name: string }) => c.name).join("; ")}`);
    });

    it("refuses to move the next server while the failing canary stands", async () => {
        const { result } = await underLoad({ name: "next stage", config: { canaryCount: "2" } });
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(faulty\) failed its judgement against web-2, web-3 after [\d.]+ s \(of at most 8 s\) \(judged at [\d-]+T[\d:.]+Z; the verdict stands for this deployment\)/);
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
