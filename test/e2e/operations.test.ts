// Operating the local default: `zdr status` shows drift between the state and what HAProxy and
// the servers really do, and the documented recovery (refresh, then up) converges.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { LocalStack, openLocalStack } from "../support/local-stack";

describe("zdr status and recovery from drift", function () {
    this.timeout(300_000);
    let local: LocalStack;
    const status = () => local.status();

    before(async () => {
        local = await openLocalStack("e2e-ops");
    });
    after(() => local?.close());

    it("reports no drift on a healthy fleet", async () => {
        const { code, rows } = await status();
        assert.equal(code, 0);
        assert.deepEqual(rows.map((r) => [r.server, r.runningVersion, r.lbStatus, r.drift.length]), [["web-1", "v1", "UP", 0], ["web-2", "v1", "UP", 0], ["web-3", "v1", "UP", 0]]);
    });

    it("flags a server taken out of HAProxy behind the state's back, and refresh + up bring it back", async () => {
        const runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        await runtime.setServerState("webshop", "web-2", "maint");
        const drifted = await status();
        assert.equal(drifted.code, 1);
        assert.deepEqual(drifted.rows.find((r) => r.server === "web-2")?.drift, ["the state has it in the load balancer, HAProxy says MAINT"]);

        const refresh = await local.stack.refresh();
        assert.equal(refresh.summary.result, "succeeded");
        const up = await local.stack.up();
        assert.deepEqual(up.summary.resourceChanges?.create, 1, "the membership of web-2 is created again");
        const healed = await status();
        assert.equal(healed.code, 0, JSON.stringify(healed.rows));
        assert.equal((await runtime.serverStat("webshop", "web-2")).status, "UP");
    });
});
