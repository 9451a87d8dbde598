import { strict as assert } from "node:assert";
import { hasParameters, runnableText } from "../../../src/migrations/oracle";
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
    ];
    for (const [sql, want] of cases) {
        it(`${sql}: ${want}`, () => assert.equal(hasParameters(parseSql(sql)[0].node), want));
    }
});
