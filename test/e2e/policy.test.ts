// The schema-compatibility guard on the real engine: `pulumi preview --policy-pack policy`
// refuses a release that drops a column a live version reads, and lets the cascade through.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { createStack, projectRoot } from "../../src/engine";
import { runStage, setStageConfig, Stage } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

const policyPack = path.join(projectRoot, "policy");

// One stack for the three cases of the local default (a first up and a destroy fewer, and the
// cascade starts from where the running-version case leaves the fleet).
describe("the schema-compatibility policy on the real engine", function () {
    this.timeout(300_000);

    let local: LocalStack;

    const columnsOfProducts = async () => {
        const c = new Client({ host: "127.0.0.1", port: local.dbPort, user: local.dbUser, password: local.dbPassword, database: local.dbName });
        await c.connect();
        try {
            const r = await c.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'products' ORDER BY column_name");
            return r.rows.map((x) => x.column_name as string);
        } finally {
            await c.end();
        }
    };

    before(async () => {
        local = await openLocalStack("e2e-policy");
    });
    after(() => local?.close());

    it("fails the preview of a release that drops a column v1 still reads", async () => {
        await setStageConfig(local.stack, { releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        await assert.rejects(local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }));
        assert.match(output, /\[mandatory\]\s+schema-compatibility/);
        assert.match(output, /drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products\.legacy_code, which v1 still uses; live versions: v1 \(rollback\), v3 \(release\)/);
        assert.deepEqual(await columnsOfProducts(), ["id", "legacy_code", "name", "price_cents"], "nothing changed");
    });

    it("counts what the servers run now, not only what the stage plans: refuses v3 in the same change that promotes v2 while web-3 still runs v1", async () => {
        const r = await runStage(local.stack, { name: "v2 on two", config: { releaseVersion: "v2", canaryCount: "2" } });
        assert.ok(r.ok, r.error);
        assert.deepEqual(r.servers.map((s) => s.version), ["v2", "v2", "v1"]);
        // One pull request: promote v2 and start v3. The plan has no v1 anywhere, but the v3
        // migration would run before web-3 leaves v1.
        await setStageConfig(local.stack, { stableVersion: "v2", releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        await assert.rejects(local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }));
        assert.match(output, /drops products\.legacy_code, which v1 still uses; live versions: v1 \(running\), v2 \(rollback\), v3 \(release\)/);
        assert.deepEqual(await columnsOfProducts(), ["id", "legacy_code", "name", "price_cents"], "nothing changed");
    });

    it("passes the cascade: v2 stops reading the column, then v3 drops it once v1 is gone", async () => {
        const stages: Stage[] = [
            { name: "v2 on all", config: { stableVersion: "v1", releaseVersion: "v2", canaryCount: "3" } },
            { name: "promote v2", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } },
        ];
        for (const stage of stages) {
            const r = await runStage(local.stack, stage);
            assert.ok(r.ok, r.error);
        }
        await setStageConfig(local.stack, { releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        const preview = await local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) });
        assert.doesNotMatch(output, /schema-compatibility/);
        assert.equal(preview.changeSummary.create, 1, "the v3 migration");

        const up = await local.stack.up({ policyPacks: [policyPack] });
        assert.equal(up.summary.result, "succeeded");
        assert.deepEqual(await columnsOfProducts(), ["id", "name", "price_cents"]);
        const servers = up.outputs.servers.value as { name: string; version: string }[];
        assert.deepEqual(servers.map((s) => s.version), ["v3", "v2", "v2"]);
    });
});

describe("the policy pack judges with PostgreSQL itself (the oracle in the pack's process)", function () {
    this.timeout(300_000);
    const fixture = path.join(__dirname, "fixtures/migration-guard");
    let stack: Awaited<ReturnType<typeof createStack>>;
    let stateDir: string;

    before(async () => {
        fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(fixture, `guard-${process.pid}`, stateDir);
    });
    after(async () => {
        await stack?.workspace.removeStack(stack.name).catch(() => undefined);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    const preview = async (migration: string, liveQueries: string) => {
        await stack.setAllConfig({ migration: { value: migration }, liveQueries: { value: liveQueries } });
        let output = "";
        const result = await stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }).then(() => "passed", (e: Error) => `failed: ${e.message.split("\n")[0]}`);
        return { result, output };
    };

    it("refuses dropping orders.channel, added by the v2 migration, while the live version groups by it", async () => {
        const { result, output } = await preview("SET lock_timeout = '2s';\nALTER TABLE orders DROP COLUMN channel;", "SELECT channel, count(*) FROM orders GROUP BY channel;");
        assert.match(result, /^failed/);
        assert.match(output, /\[mandatory\]\s+schema-compatibility/);
        assert.match(output, /drop-column: `ALTER TABLE orders DROP COLUMN channel` drops orders\.channel, which v4 still uses; live versions: v4 \(live\)\. PostgreSQL rejects v4's `SELECT channel, count\(\*\) FROM orders GROUP BY channel` after it: column "channel" does not exist/);
    });

    it("passes the same drop once the live version no longer reads the column", async () => {
        const { result, output } = await preview("SET lock_timeout = '2s';\nALTER TABLE orders DROP COLUMN channel;", "SELECT id, quantity FROM orders ORDER BY id;");
        assert.equal(result, "passed", output);
        assert.doesNotMatch(output, /schema-compatibility/);
    });
});
