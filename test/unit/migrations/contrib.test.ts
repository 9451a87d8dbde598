import { strict as assert } from "node:assert";
import { contribExtensions } from "../../../src/migrations/contrib";
import { loadParser, parseSql } from "../../../src/migrations/sql";

describe("which of PGlite's contrib extensions the oracle starts with", () => {
    before(() => loadParser());
    const cases: [string, string[]][] = [
        ["CREATE EXTENSION btree_gist; CREATE TABLE b (room int)", ["btree_gist"]],
        ['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"; CREATE EXTENSION citext; CREATE EXTENSION citext', ["citext", "uuid-ossp"]],
        ["CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm", ["pg_trgm"]],
        ["CREATE TABLE t (id int)", []],
    ];
    for (const [sql, want] of cases) {
        it(`${sql} -> ${want.join(", ") || "none"}`, () => assert.deepEqual(contribExtensions(parseSql(sql)), want));
    }
});
