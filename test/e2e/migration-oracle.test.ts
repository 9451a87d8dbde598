// The oracle: on a real PostgreSQL, apply each fixture's schema and migration, run the old
// version's SQL, and see whether it fails. The checker must block every migration that breaks
// the old version; safe migrations it blocks anyway are counted.
import { strict as assert } from "node:assert";
import { checkMigration } from "../../src/migrations/check";
import { loadParser, parseSql } from "../../src/migrations/sql";
import { migrationCases } from "../fixtures/migration-cases";
import { startPostgres, TestPostgres } from "../support/postgres";

describe("the migration checker against a real PostgreSQL (oracle)", function () {
    this.timeout(120_000);
    let pg: TestPostgres;
    const falsePositives: string[] = [];

    before(async () => {
        await loadParser();
        pg = await startPostgres();
    });
    after(async () => {
        console.log(`      oracle: ${migrationCases.filter((c) => c.breaks).length} breaking migrations, all blocked; ` +
            `${falsePositives.length} of ${migrationCases.filter((c) => !c.breaks).length} safe ones blocked anyway${falsePositives.length ? `: ${falsePositives.join("; ")}` : ""}`);
        await pg?.stop();
    });

    migrationCases.forEach((c, i) => {
        it(`${c.breaks ? "breaks" : "keeps"} the old version: ${c.name}`, async () => {
            const admin = await pg.client();
            await admin.query(`CREATE DATABASE oracle_${i}`);
            await admin.end();
            const db = await pg.client(`oracle_${i}`);
            let broke = false;
            try {
                await db.query(c.schema);
                for (const st of parseSql(c.migration)) {
                    await db.query(st.text);
                }
                try {
                    await db.query(c.oldSql);
                } catch {
                    broke = true;
                }
            } finally {
                await db.end();
            }
            assert.equal(broke, c.breaks, "the fixture's claim about PostgreSQL");
            const verdict = (await checkMigration({ migration: c.migration, schema: c.schema, live: [{ version: "old", role: "live", sql: c.oldSql }] })).verdict;
            if (broke) {
                assert.equal(verdict, "blocked", "a migration that breaks the old version must be blocked");
            } else if (verdict === "blocked") {
                falsePositives.push(c.name);
            }
        });
    });
});
