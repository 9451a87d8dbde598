// The schema guard on every path: a plain `pulumi up` (the engine itself, no policy pack, no
// scripts/pulumi) on README's breaking release is refused by the Migration resource before
// anything changes, and the next up with a fixed config, or the explicit all-at-once mode, goes on.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { Client } from "pg";
import { engineEnv, projectRoot } from "../../src/engine";
import { readEvents } from "../../src/release/report";
import { setStageConfig } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

/** `pulumi <args>` as a team's own CLI runs it: the engine binary, the stack's backend, no zdr wrapper and no policy pack. */
function plainPulumi(local: LocalStack, args: string[]): Promise<{ code: number; output: string }> {
    const engineBin = path.join(projectRoot, ".zdr/engine/bin");
    const env = { ...process.env, ...engineEnv(new URL(local.backendUrl).pathname), PATH: `${engineBin}:${process.env.PATH}` };
    return new Promise((resolve) => {
        execFile(path.join(engineBin, "pulumi"), [...args, "--stack", local.name, "--non-interactive", "--color", "never"], { cwd: projectRoot, env, timeout: 240_000, maxBuffer: 64 * 2 ** 20 }, (e, stdout, stderr) => {
            resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, output: `${stdout}${stderr}` });
        });
    });
}

describe("the Migration resource refuses a breaking migration on a plain pulumi up", function () {
    this.timeout(600_000);
    let local: LocalStack;

    const query = async (sql: string) => {
        const c = new Client({ host: "127.0.0.1", port: local.dbPort, user: local.dbUser, password: local.dbPassword, database: local.dbName });
        await c.connect();
        try {
            return (await c.query(sql)).rows;
        } finally {
            await c.end();
        }
    };
    /** Each server's version in the state and running, and its membership as HAProxy sees it. */
    const servers = async () => (await local.status()).rows.map((r) => `${r.server} ${r.stateVersion} ${r.runningVersion} ${r.lbStatus}`);
    /** What must not change when the up is refused: the column and its data, the history, the servers. */
    const snapshot = async () => ({
        legacyCodes: (await query("SELECT id, legacy_code FROM products ORDER BY id")).map((r) => `${r.id} ${r.legacy_code}`),
        history: (await query("SELECT version, script, checksum FROM zdr_schema_history ORDER BY installed_rank")).map((r) => `${r.version} ${r.script} ${r.checksum}`),
        servers: await servers(),
    });

    before(async () => {
        local = await openLocalStack("e2e-guard", { servers: ["web-1", "web-2"] });
    });
    after(() => local?.close());

    it("refuses releasing v3 (it drops products.legacy_code, which v1 reads) to one canary: nothing changes", async () => {
        const before = await snapshot();
        assert.deepEqual(before.legacyCodes, ["1 CB-01", "2 GR-02", "3 MG-03"]);
        assert.deepEqual(before.servers, ["web-1 v1 v1 UP", "web-2 v1 v1 UP"]);
        await setStageConfig(local.stack, { releaseVersion: "v3", canaryCount: "1" });
        const since = Date.now();

        for (const command of [["preview"], ["up", "--yes"]]) {
            const { code, output } = await plainPulumi(local, command);
            assert.notEqual(code, 0, `${command[0]} refused: ${output.slice(-3000)}`);
            assert.doesNotMatch(output, /policy pack|schema-compatibility/i, "no policy pack ran");
            assert.match(output, /zdr:postgres:Migration resource 'migration-V3' has a problem: drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products\.legacy_code, which v1 still uses; live versions: v1 \(rollback\), v3 \(release\)\./, output.slice(-3000));
            assert.match(output, /release it all at once instead \(zdr:releaseMode: all-at-once\)/);
        }
        assert.deepEqual(await snapshot(), before, "the column and its data, the history, the servers' versions and membership are as before");
        assert.deepEqual(readEvents(path.join(local.dir, "events.jsonl"), since), [], "no server drained, deployed or reattached");
    });

    it("the next plain up with a fixed config (v2, which stops reading the column) goes on from a consistent state", async () => {
        await setStageConfig(local.stack, { releaseVersion: "v2", canaryCount: "1" });
        const { code, output } = await plainPulumi(local, ["up", "--yes"]);
        assert.equal(code, 0, output.slice(-3000));
        const now = await snapshot();
        assert.deepEqual(now.servers, ["web-1 v2 v2 UP", "web-2 v1 v1 UP"]);
        assert.deepEqual(now.history.map((h) => h.split(" ").slice(0, 2).join(" ")), ["1 V1__base_schema.sql", "2 V2__orders_channel.sql"]);
        assert.deepEqual(now.legacyCodes, ["1 CB-01", "2 GR-02", "3 MG-03"]);
    });

    it("the explicit all-at-once mode passes the same drop on a plain up", async () => {
        await setStageConfig(local.stack, { releaseMode: "all-at-once", releaseVersion: "v3", canaryCount: null });
        const { code, output } = await plainPulumi(local, ["up", "--yes"]);
        assert.equal(code, 0, output.slice(-3000));
        assert.deepEqual((await query("SELECT column_name FROM information_schema.columns WHERE table_name = 'products' ORDER BY column_name")).map((r) => r.column_name), ["id", "name", "price_cents"]);
        assert.deepEqual(await servers(), ["web-1 v3 v3 UP", "web-2 v3 v3 UP"]);
    });
});
