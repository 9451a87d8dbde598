// What a live version's SQL uses, as the static rules see it (src/migrations/usage.ts).
import { strict as assert } from "node:assert";
import { loadParser, parseSql } from "../../../src/migrations/sql";
import { extractUsage } from "../../../src/migrations/usage";

describe("extractUsage", () => {
    before(() => loadParser());
    const reads = (sql: string, table: string) => [...(extractUsage(parseSql(sql)).tables.get(table)?.reads ?? [])].sort();

    // PostgreSQL 18's parse tree holds RETURNING in returningClause.exprs (@pgsql/types showed
    // it: the checker read returningList, which PostgreSQL 18 no longer has, and saw no column there).
    const cases: [string, string, string[]][] = [
        ["an INSERT's RETURNING columns", "INSERT INTO products (name) VALUES ('a') RETURNING id, legacy_code", ["id", "legacy_code"]],
        ["an UPDATE's RETURNING columns", "UPDATE products SET name = 'b' WHERE id = 1 RETURNING legacy_code", ["id", "legacy_code"]],
        ["a DELETE's RETURNING columns", "DELETE FROM products WHERE id = 1 RETURNING legacy_code", ["id", "legacy_code"]],
        ["a SELECT's columns through an alias", "SELECT p.legacy_code FROM products p WHERE p.id = 1", ["id", "legacy_code"]],
    ];
    for (const [name, sql, columns] of cases) {
        it(`reads ${name}`, () => assert.deepEqual(reads(sql, "products"), columns));
    }

    it("records the schemas a SET search_path names", () => assert.deepEqual([...extractUsage(parseSql("SET search_path TO billing, public")).schemas], ["billing", "public"]));
});
