import { strict as assert } from "node:assert";
import { checkMigration, isWidening } from "../../../src/migrations/check";
import { closeOracle } from "../../../src/migrations/oracle";
import { loadParser } from "../../../src/migrations/sql";
import { migrationCases } from "../../fixtures/migration-cases";

describe("checkMigration", function () {
    this.timeout(60_000); // the first check starts the embedded PostgreSQL
    before(() => loadParser());
    after(() => closeOracle());

    for (const c of migrationCases) {
        it(`${c.blocked ? "blocks" : "passes"}: ${c.name}`, async () => {
            const r = await checkMigration({ migration: c.migration, schema: c.schema, live: [{ version: "v1", role: "live", sql: c.oldSql }] });
            assert.equal(r.verdict, c.blocked ? "blocked" : "safe", JSON.stringify(r.violations, null, 1));
            if (c.blocked) {
                assert.ok(r.violations.some((v) => v.severity === "block" && v.rule === c.rule), `rule ${c.rule} in ${JSON.stringify(r.violations.map((v) => v.rule))}`);
            }
        });
    }

    const exact: { name: string; live: { version: string; role: "live" | "release" | "rollback"; sql?: string }[]; migration: string; messages: string[] }[] = [
        {
            name: "names the statement, the object, the version that still uses it and the safe sequence",
            live: [{ version: "v1", role: "rollback", sql: "SELECT legacy_code FROM products" }, { version: "v2", role: "release", sql: "SELECT id FROM products" }],
            migration: "SET lock_timeout = '2s'; ALTER TABLE products DROP COLUMN legacy_code",
            messages: [
                "drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products.legacy_code, which v1 still uses; live versions: v1 (rollback), v2 (release). Ship it in a later release, once no live or rollback version uses products.legacy_code: first release a version that stops using it, promote that version to stable, then release this change.",
            ],
        },
        {
            name: "a live version with unknown usage counts as using everything",
            live: [{ version: "v7", role: "live" }],
            migration: "SET lock_timeout = '2s'; DROP TABLE audit",
            messages: [
                "drop-table: `DROP TABLE audit` drops audit, which v7 still uses (usage of v7 is unknown, so it counts as using everything); live versions: v7 (live). Ship it in a later release, once no live or rollback version uses audit: first release a version that stops using it, promote that version to stable, then release this change.",
            ],
        },
        {
            name: "warns about locks: no lock_timeout, an index built without CONCURRENTLY, a validated constraint",
            live: [],
            migration: "CREATE INDEX orders_created ON orders (created_at); ALTER TABLE orders ADD CONSTRAINT q CHECK (quantity > 0)",
            messages: [
                "require-timeout-settings: `CREATE INDEX orders_created ON orders (created_at)`: DDL without a lock_timeout can queue behind a long transaction and block every query behind it; start the migration with SET lock_timeout = '2s'",
                "require-concurrent-index-creation: `CREATE INDEX orders_created ON orders (created_at)`: CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds; use CREATE INDEX CONCURRENTLY (outside a transaction)",
                "constraint-missing-not-valid: `ALTER TABLE orders ADD CONSTRAINT q CHECK (quantity > 0)`: a validated constraint on an existing table scans it under a lock that blocks writes; add it NOT VALID and VALIDATE later",
            ],
        },
        {
            name: "warns about a volatile default and says how to avoid the rewrite",
            live: [],
            migration: "SET lock_timeout = '2s'; ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()",
            messages: [
                "adding-field-with-volatile-default: `ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()`: a volatile default rewrites the whole table under an exclusive lock; add the column without a default, set the default, then backfill in batches",
            ],
        },
        {
            name: "says nothing about tables the migration creates itself",
            live: [{ version: "v1", role: "live" }],
            migration: "CREATE TABLE coupons (id int); CREATE INDEX coupons_id ON coupons (id); ALTER TABLE coupons ADD CONSTRAINT c CHECK (id > 0)",
            messages: [],
        },
    ];
    for (const c of exact) {
        it(c.name, async () => {
            assert.deepEqual((await checkMigration({ migration: c.migration, live: c.live })).violations.map((v) => v.message), c.messages);
        });
    }

    const widenings: [string, string, boolean][] = [
        ["varchar(50)", "text", true],
        ["varchar(10)", "varchar(20)", true],
        ["varchar(20)", "varchar(10)", false],
        ["int4", "int8", true],
        ["int8", "int4", false],
        ["text", "varchar(10)", false],
    ];
    for (const [from, to, want] of widenings) {
        it(`${from} -> ${to} is ${want ? "" : "not "}a widening`, () => assert.equal(isWidening(from, to), want));
    }
});
