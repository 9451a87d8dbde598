// zdr:postgres:Migration's apply on a real PostgreSQL: the history table, nothing applied twice,
// a changed applied file refused before anything runs, a failing file leaving schema and history
// as they were, a CREATE INDEX CONCURRENTLY that fails leaving no INVALID index behind, and
// every statement PostgreSQL refuses in a transaction block run outside one.
import { strict as assert } from "node:assert";
import { applyMigration, historyTable, MigrationInputs, nonTransactional } from "../../provider/postgres/migration";
import { loadParser, parseSql } from "../../src/migrations/sql";
import { checksumOf } from "../../src/migrations/folder";
import { startPostgres, TestPostgres } from "../support/postgres";

describe("migrations and their history on a real PostgreSQL", function () {
    this.timeout(60_000);
    let pg: TestPostgres;
    const files = new Map<number, MigrationInputs>();
    const file = (version: number, description: string, sql: string): MigrationInputs => {
        const earlier = [...files.values()].filter((f) => f.version < version).map(({ version: v, script, checksum }) => ({ version: v, script, checksum }));
        const m = { connection: { host: "127.0.0.1", port: pg.port, user: "zdr", password: pg.password, database: "postgres" }, version, description, script: `V${version}__${description.replace(/ /g, "_")}.sql`, sql, checksum: checksumOf(sql), earlier };
        files.set(version, m);
        return m;
    };
    const query = async (sql: string) => {
        const c = await pg.client();
        try {
            return (await c.query(sql)).rows;
        } finally {
            await c.end();
        }
    };
    const history = async () => (await query(`SELECT version, script, checksum, success FROM ${historyTable} ORDER BY installed_rank`)).map((r) => `${r.version} ${r.script} ${r.success}`);

    before(async () => {
        pg = await startPostgres();
    });
    after(() => pg?.stop());

    it("applies a file once and records it", async () => {
        await applyMigration(file(1, "items", "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);\nINSERT INTO items (name) VALUES ('a'), ('b');"));
        const again = await applyMigration(files.get(1)!);
        assert.deepEqual(await history(), ["1 V1__items.sql true"]);
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM items"), [{ n: 2 }], "the second apply ran nothing");
        const [row] = await query(`SELECT checksum, installed_on FROM ${historyTable} WHERE version = 1`);
        assert.equal(row.checksum, checksumOf(files.get(1)!.sql));
        assert.equal(again, (row.installed_on as Date).getTime(), "the second apply answers with the first one's time");
    });

    it("refuses a changed applied file by name before anything runs", async () => {
        const changed = { ...files.get(1)!, sql: files.get(1)!.sql + "\n-- edited", checksum: checksumOf(files.get(1)!.sql + "\n-- edited") };
        const next = file(2, "price", "ALTER TABLE items ADD COLUMN price integer;");
        const withChangedEarlier = { ...next, earlier: [{ version: 1, script: changed.script, checksum: changed.checksum }] };
        await assert.rejects(applyMigration(withChangedEarlier), /migration V1__items\.sql was applied with checksum [0-9a-f]{12}… and has changed since/);
        assert.deepEqual(await history(), ["1 V1__items.sql true"], "V2 did not run");
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'"), [{ n: 0 }]);
        files.delete(2);
    });

    it("rolls a failing file back whole, names the statement and PostgreSQL's error, and records nothing", async () => {
        const bad = file(2, "broken", "ALTER TABLE items ADD COLUMN price integer;\nCREATE INDEX items_price ON items (price);\nALTER TABLE items ADD COLUMN code numeric NOT NULL DEFAULT 'x';");
        await assert.rejects(applyMigration(bad), (e: Error) => {
            assert.match(e.message, /^migration V2__broken\.sql failed at line 3: ALTER TABLE items ADD COLUMN code numeric NOT NULL DEFAULT 'x'\nPostgreSQL: invalid input syntax for type numeric: "x"\nnothing of it was applied \(rolled back\) and the history is unchanged$/);
            return true;
        });
        assert.deepEqual(await history(), ["1 V1__items.sql true"]);
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'items_price'"), [{ n: 0 }], "the earlier statements were rolled back");
        files.delete(2);
    });

    it("runs a CREATE INDEX CONCURRENTLY outside a transaction, and a failed one leaves no INVALID index", async () => {
        await query("INSERT INTO items (name) VALUES ('a')");
        const failing = file(2, "unique names", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items (name);");
        await assert.rejects(applyMigration(failing), (e: Error) => {
            assert.match(e.message, /^migration V2__unique_names\.sql failed at line 1: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items \(name\)\nPostgreSQL: could not create unique index "items_name"/);
            assert.match(e.message, /it runs outside a transaction .*: no statement before it was applied; the history is unchanged and the next up runs the file again$/);
            return true;
        });
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'items_name'"), [{ n: 0 }], "the INVALID index was dropped");
        assert.deepEqual(await history(), ["1 V1__items.sql true"]);
        await query("DELETE FROM items WHERE id = (SELECT max(id) FROM items)");
        await applyMigration(failing);
        assert.deepEqual(await history(), ["1 V1__items.sql true", "2 V2__unique_names.sql true"]);
        assert.deepEqual(await query("SELECT indexname FROM pg_indexes WHERE indexname = 'items_name'"), [{ indexname: "items_name" }]);
    });

    it("runs an ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY outside a transaction", async () => {
        await applyMigration(file(3, "events", "CREATE TABLE events (id integer NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nINSERT INTO events VALUES (1, '2025-06-01'), (2, '2026-06-01');"));
        await applyMigration(file(4, "detach 2025", "SET lock_timeout = '2s';\nALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;"));
        assert.deepEqual(await history(), ["1 V1__items.sql true", "2 V2__unique_names.sql true", "3 V3__events.sql true", "4 V4__detach_2025.sql true"]);
        assert.deepEqual(await query("SELECT inhrelid::regclass::text AS partition FROM pg_inherits WHERE inhparent = 'events'::regclass"), [{ partition: "events_2026" }]);
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM events_2025"), [{ n: 1 }], "the detached table keeps its rows");
    });

    it("runs outside a transaction exactly the statements PostgreSQL refuses in a transaction block", async () => {
        await loadParser();
        const outside = [
            "CREATE INDEX CONCURRENTLY items_name_c ON items (name)",
            "DROP INDEX CONCURRENTLY IF EXISTS items_name_c",
            "REINDEX TABLE CONCURRENTLY items",
            "REINDEX SCHEMA public",
            "ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY",
            "VACUUM items",
            "CLUSTER",
            "CREATE DATABASE zdr_never",
            "DROP DATABASE IF EXISTS zdr_never",
            "ALTER DATABASE postgres SET TABLESPACE pg_default",
            "ALTER SYSTEM SET work_mem = '8MB'",
            "DROP TABLESPACE IF EXISTS zdr_never",
            "DISCARD ALL",
            "CREATE SUBSCRIPTION zdr_never CONNECTION 'host=127.0.0.1 port=1' PUBLICATION p",
        ];
        const inside = ["ANALYZE items", "CLUSTER items USING items_pkey", "ALTER TABLE events DETACH PARTITION events_2026", "REINDEX TABLE items", "CREATE INDEX items_name_t ON items (name)", "DISCARD PLANS"];
        const c = await pg.client();
        try {
            for (const sql of [...outside, ...inside]) {
                await c.query("BEGIN");
                const refused = await c.query(sql).then(() => false, (e: Error) => /cannot run inside a transaction block/.test(e.message));
                await c.query("ROLLBACK");
                assert.equal(refused, outside.includes(sql), `PostgreSQL ${refused ? "refuses" : "runs"} \`${sql}\` in a transaction block`);
                assert.equal(nonTransactional(parseSql(sql)[0]), refused, `the runner runs \`${sql}\` ${refused ? "outside" : "in"} a transaction`);
            }
        } finally {
            await c.end();
        }
    });
});
