import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkMigration, CheckInputError, isWidening, LiveVersion } from "../../../src/migrations/check";
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
            name: "without a schema, a DROP SCHEMA blocks a version whose SET search_path names it",
            live: [{ version: "v1", role: "live", sql: "SET search_path TO billing, public; SELECT total FROM invoices" }],
            migration: "SET lock_timeout = '2s'; DROP SCHEMA billing CASCADE",
            messages: [
                "drop-object: `DROP SCHEMA billing CASCADE` drops schema billing, which v1 still uses; live versions: v1 (live). Ship it in a later release, once no live or rollback version uses schema billing: first release a version that stops using it, promote that version to stable, then release this change.",
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

describe("checkMigration on the embedded PostgreSQL (the oracle)", function () {
    this.timeout(60_000);
    after(() => closeOracle());
    /** The webshop's query file of version v, or (dir "migrations") its migration V<n> for "v<n>". */
    const webshop = (v: string, dir = "migrations") => {
        const folder = path.join(__dirname, `../../../app/webshop/${dir}`);
        const name = dir === "migrations" ? fs.readdirSync(folder).find((f) => f.startsWith(`V${v.slice(1)}__`)) : `${v}.sql`;
        return fs.readFileSync(path.join(folder, name as string), "utf8");
    };
    const v1ToV3 = ["v1", "v2", "v3"].map((v) => webshop(v)).join("\n");
    const v1ToV2 = ["v1", "v2"].map((v) => webshop(v)).join("\n");

    const cases: { name: string; schema: string; migration: string; live: LiveVersion[]; verdict: "safe" | "blocked"; messages: string[] }[] = [
        {
            name: "blocks dropping orders.channel, added by an ALTER TABLE in the schema history, while a live version groups by it",
            schema: v1ToV3,
            migration: "ALTER TABLE orders DROP COLUMN channel",
            live: [{ version: "v4", role: "live", sql: "SELECT channel, count(*) FROM orders GROUP BY channel" }],
            verdict: "blocked",
            messages: [
                'drop-column: `ALTER TABLE orders DROP COLUMN channel` drops orders.channel, which v4 still uses; live versions: v4 (live). PostgreSQL rejects v4\'s `SELECT channel, count(*) FROM orders GROUP BY channel` after it: column "channel" does not exist. Ship it in a later release, once no live or rollback version uses orders.channel: first release a version that stops using it, promote that version to stable, then release this change.',
                "require-timeout-settings: `ALTER TABLE orders DROP COLUMN channel`: DDL without a lock_timeout can queue behind a long transaction and block every query behind it; start the migration with SET lock_timeout = '2s'",
            ],
        },
        {
            name: "names the migration statement that breaks the live one, found by replaying the migration",
            schema: v1ToV3,
            migration: "SET lock_timeout = '2s';\nALTER TABLE products ADD COLUMN sku text;\nALTER TABLE products RENAME COLUMN name TO title;\nCREATE INDEX CONCURRENTLY products_sku ON products (sku)",
            live: [{ version: "v3", role: "rollback", sql: webshop("v3", "queries") }],
            verdict: "blocked",
            messages: [
                'rename-column: `ALTER TABLE products RENAME COLUMN name TO title` renames products.name, which v3 still uses; live versions: v3 (rollback). PostgreSQL rejects v3\'s `SELECT id, name, price_cents FROM products ORDER BY id` after it: column "name" does not exist. Add the new column, write both, backfill, move readers over, and drop the old one in a later release (or keep the old name readable meanwhile: a view or a generated column under it).',
            ],
        },
        {
            name: "says which write with parameters may fail on a data-dependent change",
            schema: v1ToV2,
            migration: "SET lock_timeout = '2s';\nUPDATE orders SET channel = 'web' WHERE channel IS NULL;\nALTER TABLE orders ALTER COLUMN channel SET NOT NULL",
            live: [{ version: "v1", role: "running", sql: webshop("v1", "queries") }, { version: "v2", role: "release", sql: webshop("v2", "queries") }],
            verdict: "blocked",
            messages: [
                "set-not-null: `ALTER TABLE orders ALTER COLUMN channel SET NOT NULL` makes NOT NULL orders.channel, which v1 still uses; live versions: v1 (running), v2 (release). v1's `INSERT INTO orders (product_id, quantity) VALUES ($1, $2) RETURNING id` may fail, depending on the values it is given (they are parameters, which PostgreSQL cannot try on the schema's rows). Make it required in a later release, once every live version writes orders.channel on every INSERT and never writes NULL.",
                "adding-not-nullable-field: `ALTER TABLE orders ALTER COLUMN channel SET NOT NULL`: SET NOT NULL scans the table under an exclusive lock; add a NOT VALID CHECK (col IS NOT NULL) and validate it first",
            ],
        },
        {
            name: "passes the webshop's own cascade: v3 drops legacy_code once v2 and v3 are all that is live",
            schema: v1ToV2,
            migration: webshop("v3"),
            live: [{ version: "v2", role: "rollback", sql: webshop("v2", "queries") }, { version: "v3", role: "release", sql: webshop("v3", "queries") }],
            verdict: "safe",
            messages: [],
        },
        {
            name: "says nothing of a release's new statement that needs the column the migration adds (a plain expand)",
            schema: webshop("v1"),
            migration: webshop("v2"),
            live: [{ version: "v1", role: "rollback", sql: webshop("v1", "queries") }, { version: "v2", role: "release", sql: webshop("v2", "queries") }],
            verdict: "safe",
            messages: [],
        },
        {
            name: "warns about a live statement that fails before and after the migration, and judges it by name",
            schema: v1ToV3,
            migration: "SET lock_timeout = '2s';\nALTER TABLE products DROP COLUMN name",
            live: [{ version: "v3", role: "live", sql: "SELECT name FROM catalogue" }],
            verdict: "safe",
            messages: [
                'unverified-statement: v3\'s `SELECT name FROM catalogue` fails on the schema before and after the migration (relation "catalogue" does not exist), so only the static rules judge it; check the schema holds every earlier migration and the version\'s SQL is right',
            ],
        },
        {
            name: "blocks a migration that fails on the schema before it",
            schema: v1ToV3,
            migration: "SET lock_timeout = '2s';\nALTER TABLE orders DROP COLUMN nosuch",
            live: [{ version: "v3", role: "live", sql: webshop("v3", "queries") }],
            verdict: "blocked",
            messages: [
                'migration-fails: `ALTER TABLE orders DROP COLUMN nosuch` fails on PostgreSQL on the schema before the migration: column "nosuch" of relation "orders" does not exist. Fix the migration; the live versions were judged by the static rules only.',
            ],
        },
        {
            name: "falls back to the static rules when the schema does not build in PGlite",
            schema: `${v1ToV3}\nCREATE EXTENSION postgis;`,
            migration: "SET lock_timeout = '2s';\nALTER TABLE products DROP COLUMN name",
            live: [{ version: "v3", role: "live", sql: webshop("v3", "queries") }],
            verdict: "blocked",
            messages: [
                'oracle-unavailable: the schema does not build in the embedded PostgreSQL at `CREATE EXTENSION postgis`: extension "postgis" is not available; only the static rules judged this migration',
                "drop-column: `ALTER TABLE products DROP COLUMN name` drops products.name, which v3 still uses; live versions: v3 (live). Ship it in a later release, once no live or rollback version uses products.name: first release a version that stops using it, promote that version to stable, then release this change.",
            ],
        },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const r = await checkMigration({ migration: c.migration, schema: c.schema, live: c.live });
            assert.deepEqual(r.violations.map((v) => v.message), c.messages);
            assert.equal(r.verdict, c.verdict);
        });
    }

    it("refuses an empty or comment-only query file: it does not mean uses nothing", async () => {
        await assert.rejects(
            checkMigration({ migration: "ALTER TABLE orders DROP COLUMN channel", schema: v1ToV3, live: [{ version: "v4", role: "live", sql: "-- name: nothing yet\n" }] }),
            (e: Error) => e instanceof CheckInputError && /the queries of v4 hold no SQL statement/.test(e.message),
        );
    });

    it("leaves the shared PostgreSQL as it found it: the same check twice gives the same answer", async () => {
        const input = { migration: "ALTER TABLE orders DROP COLUMN channel", schema: v1ToV3, live: [{ version: "v4", role: "live" as const, sql: "INSERT INTO orders (product_id, quantity, channel) VALUES (1, 1, 'web')" }] };
        const first = await checkMigration(input);
        const second = await checkMigration(input);
        assert.deepEqual(second, first);
        assert.equal(first.verdict, "blocked");
    });
});
