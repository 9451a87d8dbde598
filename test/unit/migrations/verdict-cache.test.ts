// The checker's verdicts kept on disk: found again only for exactly the same input (and the
// same checker); any other input is checked afresh.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckInput } from "../../../src/migrations/check";
import { closeOracle } from "../../../src/migrations/oracle";
import { cachedCheck, checkerFingerprint, verdictFile } from "../../../src/migrations/verdict-cache";

describe("the verdict cache", function () {
    this.timeout(60_000); // a first check starts the embedded PostgreSQL
    after(() => closeOracle());

    const base: CheckInput = {
        migration: "SET lock_timeout = '2s'; ALTER TABLE products DROP COLUMN legacy_code",
        migrationFile: "migration V3__drop.sql",
        schema: "CREATE TABLE products (id serial PRIMARY KEY, legacy_code text);",
        live: [{ version: "v1", role: "rollback", sql: "SELECT id, legacy_code FROM products" }, { version: "v2", role: "release", sql: "SELECT id FROM products" }],
    };

    const changes: { name: string; input: CheckInput }[] = [
        { name: "another migration", input: { ...base, migration: `${base.migration};` } },
        { name: "another file name (it is in the messages)", input: { ...base, migrationFile: "migration V4__drop.sql" } },
        { name: "another schema", input: { ...base, schema: `${base.schema} ` } },
        { name: "no schema", input: { ...base, schema: undefined } },
        { name: "a live version's other SQL", input: { ...base, live: [base.live[0], { ...base.live[1], sql: "SELECT id, legacy_code FROM products" }] } },
        { name: "a live version's other role", input: { ...base, live: [{ ...base.live[0], role: "running" }, base.live[1]] } },
        { name: "a live version whose SQL is unknown", input: { ...base, live: [{ version: "v1", role: "rollback" }, base.live[1]] } },
        { name: "one live version fewer", input: { ...base, live: [base.live[1]] } },
    ];
    for (const c of changes) {
        it(`keeps ${c.name} apart`, () => assert.notEqual(verdictFile(c.input), verdictFile(base)));
    }

    it("finds the same input whatever the order of its keys", () => {
        const reordered: CheckInput = { live: base.live.map((v) => ({ sql: v.sql, role: v.role, version: v.version })), schema: base.schema, migrationFile: base.migrationFile, migration: base.migration };
        assert.equal(verdictFile(reordered), verdictFile(base));
    });

    it("keys on the checker too: the same input has one file per fingerprint", () => {
        assert.match(checkerFingerprint(), /^[0-9a-f]{64}$/);
        assert.equal(verdictFile({ ...base }), verdictFile(base));
    });

    it("answers the same input from the file the first check wrote, and any other input afresh", async () => {
        const input = { ...base, schema: `${base.schema}\n-- ${randomBytes(8).toString("hex")}` };
        const file = verdictFile(input);
        try {
            const first = await cachedCheck(input);
            assert.equal(first.verdict, "blocked");
            assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), first);
            // what the file says is what a second check answers (it does not run the checker)
            const planted = { verdict: "safe", violations: [] };
            fs.writeFileSync(file, JSON.stringify(planted));
            assert.deepEqual(await cachedCheck(input), planted);
            assert.equal((await cachedCheck({ ...input, migration: `${input.migration};` })).verdict, "blocked", "another input is checked afresh");
        } finally {
            fs.rmSync(file, { force: true });
            fs.rmSync(verdictFile({ ...input, migration: `${input.migration};` }), { force: true });
        }
    });

    it("checks afresh when the file is unreadable", async () => {
        const input = { ...base, schema: `${base.schema}\n-- ${randomBytes(8).toString("hex")}` };
        const file = verdictFile(input);
        try {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, "{ not json");
            assert.equal((await cachedCheck(input)).verdict, "blocked");
        } finally {
            fs.rmSync(file, { force: true });
        }
    });
});
