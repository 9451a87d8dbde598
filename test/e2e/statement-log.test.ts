// What a version was seen running protects it too: a statement v2 runs that its query file does
// not list (read from PostgreSQL's statement log by application_name) blocks the migration that
// would break it, through `pulumi preview --policy-pack policy` on the local default.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "pg";
import { projectRoot } from "../../src/engine";
import { setStageConfig } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

const policyPack = path.join(projectRoot, "policy");

describe("the statement log joins a version's query file", function () {
    this.timeout(300_000);
    let local: LocalStack;
    const preview = async () => {
        let output = "";
        const ok = await local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }).then(() => true, () => false);
        return { ok, output };
    };

    before(async () => {
        local = await openLocalStack("e2e-stmtlog", { stableVersion: "v2" });
    });
    after(() => local?.close());

    it("passes v3's drop of products.legacy_code while v2 is only known by its file", async () => {
        await setStageConfig(local.stack, { releaseVersion: "v3", canaryCount: "1" });
        const { ok, output } = await preview();
        assert.ok(ok, output.slice(-2000));
    });

    it("blocks it once v2 was seen reading the column", async () => {
        const c = new Client({ host: "127.0.0.1", port: local.dbPort, user: local.dbUser, password: local.dbPassword, database: local.dbName, application_name: "zdr:v2" });
        await c.connect();
        await c.query("SELECT legacy_code FROM products WHERE id = $1", [1]);
        await c.end();
        await sleep(500); // the logging collector writes asynchronously
        const { ok, output } = await preview();
        assert.equal(ok, false, output.slice(-2000));
        // the block names the policy and the statement only the log knows
        assert.match(output, /schema-compatibility/);
        assert.match(output, /SELECT legacy_code FROM products WHERE id = \$1/);
    });
});
