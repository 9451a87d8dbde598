import { strict as assert } from "node:assert";
import { hasParameters, probeStatements, runnableText } from "../../../src/migrations/oracle";
import { loadParser, parseSql } from "../../../src/migrations/sql";

describe("what the oracle runs of a schema or migration statement", () => {
    before(() => loadParser());
    const cases: [string, string | undefined][] = [
        ["CREATE INDEX CONCURRENTLY orders_created ON orders (created_at)", "CREATE INDEX  orders_created ON orders (created_at)"],
        ["create unique index concurrently if not exists u ON t (a)", "create unique index  if not exists u ON t (a)"],
        ["DROP INDEX CONCURRENTLY orders_created", "DROP INDEX  orders_created"],
        ["ALTER TABLE orders ADD COLUMN concurrently_seen boolean", "ALTER TABLE orders ADD COLUMN concurrently_seen boolean"],
        ["VACUUM FULL orders", undefined],
        ["COMMIT", undefined],
        ["SET lock_timeout = '2s'", "SET lock_timeout = '2s'"],
        ["ALTER TABLE events DETACH PARTITION events_2025", "ALTER TABLE events DETACH PARTITION events_2025"],
        [
            "ALTER TABLE events DETACH PARTITION billing.\"Events 2025\" CONCURRENTLY",
            "DO $zdr_detach$ DECLARE p regclass := to_regclass('\"billing\".\"Events 2025\"'); c text := CASE WHEN p IS NULL THEN NULL ELSE pg_get_partition_constraintdef(p) END; " +
                "BEGIN ALTER TABLE events DETACH PARTITION billing.\"Events 2025\" ; IF c IS NOT NULL THEN EXECUTE format('ALTER TABLE %s ADD CHECK (%s)', p, c); END IF; END $zdr_detach$",
        ],
        ["CREATE DATABASE scratch", undefined],
        ["ALTER SYSTEM SET work_mem = '8MB'", undefined],
    ];
    for (const [sql, want] of cases) {
        it(`${sql} -> ${want ?? "left out"}`, () => assert.equal(runnableText(parseSql(sql)[0]), want));
    }
});

describe("which live statements have $n parameters (PostgreSQL analyses them but cannot run them)", () => {
    before(() => loadParser());
    const cases: [string, boolean][] = [
        ["INSERT INTO orders (product_id, quantity) VALUES ($1, $2)", true],
        ["SELECT id FROM products WHERE id IN (SELECT product_id FROM orders WHERE quantity > $1)", true],
        ["INSERT INTO orders (product_id, quantity) VALUES (1, 2)", false],
        ["SELECT '$1' FROM products", false],
        ["PREPARE add(integer) AS INSERT INTO orders (product_id) VALUES ($1)", false],
        ["EXECUTE add(1)", false],
    ];
    for (const [sql, want] of cases) {
        it(`${sql}: ${want}`, () => assert.equal(hasParameters(parseSql(sql)[0].node), want));
    }
});

describe("the session state a live statement runs in: its version's earlier statements it depends on", () => {
    before(() => loadParser());
    const version = [
        "SET search_path TO billing, public",
        "PREPARE add(integer) AS INSERT INTO invoices (total) VALUES ($1)",
        "SELECT total FROM invoices",
        "CREATE TEMP TABLE seen (id integer)",
        "PREPARE other AS SELECT 1",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "DECLARE c CURSOR FOR SELECT id FROM seen",
        "EXECUTE add(10)",
        "FETCH 1 FROM c",
    ].join(";\n");
    it("carries SET and temporary tables to every later statement, a PREPARE to its EXECUTE, a DECLARE to its FETCH, in order", () => {
        const probes = probeStatements("v1", parseSql(version));
        assert.deepEqual(Object.fromEntries(probes.map((p) => [p.text, p.session])), {
            "SET search_path TO billing, public": [],
            "PREPARE add(integer) AS INSERT INTO invoices (total) VALUES ($1)": ["SET search_path TO billing, public"],
            "SELECT total FROM invoices": ["SET search_path TO billing, public"],
            "CREATE TEMP TABLE seen (id integer)": ["SET search_path TO billing, public"],
            "PREPARE other AS SELECT 1": ["SET search_path TO billing, public", "CREATE TEMP TABLE seen (id integer)"],
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE": ["SET search_path TO billing, public", "CREATE TEMP TABLE seen (id integer)"],
            "DECLARE c CURSOR FOR SELECT id FROM seen": ["SET search_path TO billing, public", "CREATE TEMP TABLE seen (id integer)"],
            "EXECUTE add(10)": ["SET search_path TO billing, public", "PREPARE add(integer) AS INSERT INTO invoices (total) VALUES ($1)", "CREATE TEMP TABLE seen (id integer)"],
            "FETCH 1 FROM c": ["SET search_path TO billing, public", "CREATE TEMP TABLE seen (id integer)", "DECLARE c CURSOR FOR SELECT id FROM seen"],
        });
    });
});
