// The schema-compatibility guard on the real engine: `pulumi preview --policy-pack policy`
// refuses a release that drops a column a live version reads, and lets the cascade through.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { createStack, projectRoot } from "../../src/engine";
import { runStage, setStageConfig, Stage } from "../../src/release/stages";
import { freePort, freePortRange } from "../support/ports";

const policyPack = path.join(projectRoot, "policy");

describe("the schema-compatibility policy on the real engine", function () {
    this.timeout(300_000);

    const stackName = `e2e-policy-${process.pid}`;
    const localDir = path.join(projectRoot, ".zdr/local", stackName);
    let stateDir: string;
    let stack: Stack;
    let dbPort: number;

    const columnsOfProducts = async () => {
        const c = new Client({ host: "127.0.0.1", port: dbPort, user: "zdr", database: "postgres" });
        await c.connect();
        try {
            const r = await c.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'products' ORDER BY column_name");
            return r.rows.map((x) => x.column_name as string);
        } finally {
            await c.end();
        }
    };

    before(async () => {
        fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(projectRoot, stackName, stateDir);
        dbPort = await freePort();
        const first = await runStage(stack, {
            name: "v1",
            config: { lbPort: String(await freePort()), appBasePort: String(await freePortRange(3)), dbPort: String(dbPort), healthCheckIntervalMs: "200", drainTimeoutSeconds: "5", healthTimeoutSeconds: "10" },
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

    it("fails the preview of a release that drops a column v1 still reads", async () => {
        await setStageConfig(stack, { releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        await assert.rejects(stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }));
        assert.match(output, /\[mandatory\]\s+schema-compatibility/);
        assert.match(output, /drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products\.legacy_code, which v1 still uses; live versions: v1 \(rollback\), v3 \(release\)/);
        assert.deepEqual(await columnsOfProducts(), ["id", "legacy_code", "name", "price_cents"], "nothing changed");
    });

    it("passes the cascade: v2 stops reading the column, then v3 drops it once v1 is gone", async () => {
        const stages: Stage[] = [
            { name: "v2 on all", config: { releaseVersion: "v2", canaryCount: "3" } },
            { name: "promote v2", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } },
        ];
        for (const stage of stages) {
            const r = await runStage(stack, stage);
            assert.ok(r.ok, r.error);
        }
        await setStageConfig(stack, { releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        const preview = await stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) });
        assert.doesNotMatch(output, /schema-compatibility/);
        assert.equal(preview.changeSummary.create, 1, "the v3 migration");

        const up = await stack.up({ policyPacks: [policyPack] });
        assert.equal(up.summary.result, "succeeded");
        assert.deepEqual(await columnsOfProducts(), ["id", "name", "price_cents"]);
        const servers = up.outputs.servers.value as { name: string; version: string }[];
        assert.deepEqual(servers.map((s) => s.version), ["v3", "v2", "v2"]);
    });
});
