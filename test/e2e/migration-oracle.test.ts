// The corpus against a real PostgreSQL server: apply each fixture's schema and migration,
// run the old version's SQL in a new session (as a server of the old version that connects
// after the migration), and see whether it fails. That verdict is the truth; the checker
// (PostgreSQL in WebAssembly in this process, plus the static rules) must block every migration
// that breaks the old version and pass at least 90% of the safe ones.
import { strict as assert } from "node:assert";
import { checkMigration } from "../../src/migrations/check";
import { closeOracle } from "../../src/migrations/oracle";
import { loadParser, parseSql } from "../../src/migrations/sql";
import { migrationCases } from "../fixtures/migration-cases";
import { startPostgres, TestPostgres } from "../support/postgres";

describe("the migration checker against a real PostgreSQL (oracle corpus)", function () {
    this.timeout(120_000);
    let pg: TestPostgres;
    const breaking = { total: 0, blocked: 0 };
    const safe = { total: 0, passed: 0, blockedAnyway: [] as string[] };

    before(async () => {
        await loadParser();
        pg = await startPostgres();
    });
    after(async () => {
        console.log(`      corpus: ${migrationCases.length} migrations; breaking: ${breaking.blocked} of ${breaking.total} blocked; ` +
            `safe: ${safe.passed} of ${safe.total} passed${safe.blockedAnyway.length ? ` (blocked anyway: ${safe.blockedAnyway.join("; ")})` : ""}`);
        await pg?.stop();
        await closeOracle();
    });

    migrationCases.forEach((c, i) => {
        it(`${c.breaks ? "breaks" : "keeps"} the old version: ${c.name} [${c.source}]`, async () => {
            const admin = await pg.client();
            await admin.query(`CREATE DATABASE oracle_${i}`);
            await admin.end();
            const db = await pg.client(`oracle_${i}`);
            try {
                await db.query(c.schema);
                // One statement at a time, outside a transaction, as the runner runs a file
                // with a statement PostgreSQL refuses in one (DETACH ... CONCURRENTLY).
                for (const st of parseSql(c.migration)) {
                    await db.query(st.text);
                }
            } finally {
                await db.end();
            }
            // The old SQL in a session of its own, as a server of the old version that connects
            // after the migration runs it: nothing compiled before the migration, its statements
            // in order in one simple query (what SET search_path or PREPARE set carries on).
            const fresh = await pg.client(`oracle_${i}`);
            let broke = false;
            try {
                await fresh.query(c.oldSql);
            } catch {
                broke = true;
            } finally {
                await fresh.end();
            }
            assert.equal(broke, c.breaks, "the fixture's claim about PostgreSQL");
            const verdict = (await checkMigration({ migration: c.migration, schema: c.schema, live: [{ version: "old", role: "live", sql: c.oldSql }] })).verdict;
            assert.equal(verdict === "blocked", c.blocked, "the fixture's expected verdict");
            if (broke) {
                breaking.total++;
                assert.equal(verdict, "blocked", "a migration that breaks the old version must be blocked");
                breaking.blocked++;
            } else {
                safe.total++;
                if (verdict === "blocked") {
                    safe.blockedAnyway.push(c.name);
                } else {
                    safe.passed++;
                }
            }
        });
    });

    it("blocks every breaking migration and passes at least 90% of the safe ones", () => {
        assert.equal(breaking.total + safe.total, migrationCases.length, "every case ran");
        assert.equal(breaking.blocked, breaking.total);
        assert.ok(safe.passed / safe.total >= 0.9, `${safe.passed} of ${safe.total} safe migrations passed`);
    });
});
