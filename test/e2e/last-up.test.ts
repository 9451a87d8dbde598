// The program reads what the servers run now from its own stack's last outputs. That read must
// never meet the engine writing the checkpoint (a CI run once failed a first up with
// "StackReference last-up: failed to load checkpoint: EOF"): first and later ups back to back,
// on fresh stacks, every one of them succeeds and the later ones see the running versions.
import { strict as assert } from "node:assert";
import { openLocalStack } from "../support/local-stack";
import { runStage, Stage } from "../../src/release/stages";

describe("reading the last up's outputs never races with the engine", function () {
    this.timeout(900_000);
    const rounds = 4;

    it(`${rounds} fresh stacks: first up, a canary and a promotion back to back, all succeed`, async () => {
        const results: string[] = [];
        for (let i = 0; i < rounds; i++) {
            const local = await openLocalStack(`e2e-lastup${i}`, { servers: ["web-1"], healthCheckIntervalMs: "100" });
            try {
                results.push(`first ${local.first.ok}`);
                const stages: Stage[] = [
                    { name: "canary", config: { releaseVersion: "v2", canaryCount: "1" } },
                    { name: "promote", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } },
                ];
                for (const stage of stages) {
                    const r = await runStage(local.stack, stage);
                    assert.ok(r.ok, `${stage.name} of round ${i}: ${r.error}`);
                    results.push(`${stage.name} ${r.ok}`);
                }
                // the last up's outputs, as the next up reads them
                const appBasePort = Number((await local.stack.getConfig("zdr:appBasePort")).value);
                assert.deepEqual((await local.stack.outputs()).servers.value, [{ name: "web-1", version: "v2", inLoadBalancer: true, port: appBasePort }]);
            } finally {
                await local.close();
            }
        }
        assert.equal(results.filter((r) => r.endsWith("true")).length, rounds * 3);
    });
});
