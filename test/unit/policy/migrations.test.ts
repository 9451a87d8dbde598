import { strict as assert } from "node:assert";
import { allAtOnceHint, migrationLocks, schemaCompatibility } from "../../../policy/migrations";
import { runResourcePolicy } from "../../support/policy-harness";

const v1 = "SELECT id, legacy_code FROM products";
const v2 = "SELECT id FROM products";
const migration = (sql: string, live: { version: string; role: string; sql?: string }[], mode?: string) => ({
    type: "zdr:postgres:Migration",
    name: "migration-v3",
    props: { version: 3, script: "V3__drop_legacy.sql", sql, compatibility: { schema: "CREATE TABLE products (id serial PRIMARY KEY, legacy_code text);", live, ...(mode ? { mode } : {}) } },
});
/** The same resource as the Migration's check returns it for a file the state has applied. */
const applied = (m: ReturnType<typeof migration>) => ({ ...m, props: { ...m.props, compatibility: { ...m.props.compatibility, applied: true } } });
const dropLegacy = "SET lock_timeout = '2s'; ALTER TABLE products DROP COLUMN legacy_code";

describe("policy schema-compatibility", () => {
    const cases: { name: string; resource: ReturnType<typeof migration> | { type: string; name: string; props: Record<string, unknown> }; config?: Record<string, unknown>; messages: string[]; notApplicable?: string }[] = [
        {
            name: "passes a drop once no live version uses the column",
            resource: migration(dropLegacy, [{ version: "v2", role: "rollback", sql: v2 }, { version: "v3", role: "release", sql: v2 }]),
            messages: [],
        },
        {
            name: "blocks a drop while the rollback version still reads the column",
            resource: migration(dropLegacy, [{ version: "v1", role: "rollback", sql: v1 }, { version: "v3", role: "release", sql: v2 }]),
            messages: [
                "drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products.legacy_code, which v1 still uses; live versions: v1 (rollback), v3 (release). PostgreSQL rejects v1's `SELECT id, legacy_code FROM products` after it: column \"legacy_code\" does not exist. Ship it in a later release, once no live or rollback version uses products.legacy_code: first release a version that stops using it, promote that version to stable, then release this change. " + allAtOnceHint,
            ],
        },
        {
            name: "passes the same drop in an all-at-once release, whose live set is the release alone",
            resource: migration(dropLegacy, [{ version: "v3", role: "release", sql: v2 }], "all-at-once"),
            messages: [],
        },
        {
            name: "still blocks an all-at-once release that breaks the release itself",
            resource: migration(dropLegacy, [{ version: "v3", role: "release", sql: v1 }], "all-at-once"),
            messages: [
                "drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products.legacy_code, which v3 still uses; live versions: v3 (release). PostgreSQL rejects v3's `SELECT id, legacy_code FROM products` after it: column \"legacy_code\" does not exist. Ship it in a later release, once no live or rollback version uses products.legacy_code: first release a version that stops using it, promote that version to stable, then release this change.",
            ],
        },
        {
            name: "lets a team switch a rule off in the pack's config",
            resource: migration(dropLegacy, [{ version: "v1", role: "rollback", sql: v1 }]),
            config: { disabledRules: ["drop-column"] },
            messages: [],
        },
        {
            name: "leaves lock warnings to the advisory policy",
            resource: migration("CREATE INDEX ON products (legacy_code)", [{ version: "v1", role: "live", sql: v1 }]),
            messages: [],
        },
        {
            name: "blocks a migration it cannot parse, naming its file",
            resource: migration("ALTER TABLE products DROP COLUM legacy_code", [{ version: "v1", role: "live", sql: v1 }]),
            messages: ['bad-input: the migration V3__drop_legacy.sql cannot be checked: migration V3__drop_legacy.sql:1:33: syntax error at or near "legacy_code"'],
        },
        {
            name: "ignores other resource types",
            resource: { type: "zdr:local:Process", name: "web-1", props: { command: ["node"] } },
            messages: [],
            notApplicable: "Policy only applies to resources of type 'zdr:postgres:Migration'",
        },
        {
            name: "does not judge a migration the state has applied (the Migration's check says so): nothing of it runs again",
            resource: applied(migration(dropLegacy, [{ version: "v1", role: "rollback", sql: v1 }])),
            messages: [],
        },
        {
            name: "ignores a migration that carries no compatibility data",
            resource: { type: "zdr:postgres:Migration", name: "schema", props: { version: 1, script: "V1__schema.sql", sql: "DROP TABLE products" } },
            messages: [],
        },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const run = await runResourcePolicy(schemaCompatibility, c.resource, c.config);
            assert.deepEqual(run.violations.map((v) => v.message), c.messages);
            assert.equal(run.notApplicable, c.notApplicable);
        });
    }
    it("is mandatory", () => assert.equal(schemaCompatibility.enforcementLevel, "mandatory"));
});

describe("policy migration-locks", () => {
    it("reports an index built without CONCURRENTLY, advisory", async () => {
        const run = await runResourcePolicy(migrationLocks, migration("SET lock_timeout = '2s'; CREATE INDEX ON products (legacy_code)", []));
        assert.deepEqual(run.violations.map((v) => v.message), [
            "require-concurrent-index-creation: `CREATE INDEX ON products (legacy_code)`: CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds; use CREATE INDEX CONCURRENTLY (outside a transaction)",
        ]);
        assert.equal(migrationLocks.enforcementLevel, "advisory");
    });
});
