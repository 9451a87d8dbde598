// The Migration resource's own guard (provider/postgres/migration.ts check): a migration that
// breaks a live version is refused before anything runs, with exactly the message the
// CrossGuard pack reports; a file the state has applied is not judged again.
import { strict as assert } from "node:assert";
import { appliedInState, migrationProvider, MigrationInputs } from "../../../provider/postgres/migration";
import { unknownValue } from "../../../provider/diff";
import { schemaCompatibility } from "../../../policy/migrations";
import { allAtOnceHint } from "../../../src/migrations/guard";
import { checksumOf } from "../../../src/migrations/folder";
import { runResourcePolicy } from "../../support/policy-harness";

const urn = "urn:pulumi:test::zdr::zdr:postgres:Migration::migration-V3";
const v1 = "SELECT id, legacy_code FROM products";
const v2 = "SELECT id FROM products";
const dropLegacy = "SET lock_timeout = '2s'; ALTER TABLE products DROP COLUMN legacy_code";
const schema = "CREATE TABLE products (id serial PRIMARY KEY, legacy_code text);";

const inputs = (live: { version: string; role: "live" | "running" | "release" | "rollback"; sql?: string }[], mode?: "staged" | "all-at-once", sql = dropLegacy): MigrationInputs => ({
    connection: { host: "127.0.0.1", port: 1, user: "zdr", database: "postgres" },
    version: 3,
    script: "V3__drop_legacy.sql",
    description: "drop legacy",
    checksum: checksumOf(sql),
    sql,
    earlier: [],
    compatibility: { schema, live, ...(mode ? { mode } : {}) },
});
const breaking = inputs([{ version: "v1", role: "rollback", sql: v1 }, { version: "v3", role: "release", sql: v2 }]);

describe("the Migration resource's own guard", () => {
    it("refuses a migration that breaks a live version, with the policy's message and the all-at-once hint", async () => {
        const result = await migrationProvider.check(urn, {}, breaking);
        const policy = await runResourcePolicy(schemaCompatibility, { type: "zdr:postgres:Migration", name: "migration-V3", props: breaking as unknown as Record<string, unknown> });
        assert.deepEqual(result.failures?.map((f) => f.reason), policy.violations.map((v) => v.message));
        assert.equal(result.failures?.length, 1);
        assert.equal(result.failures?.[0].property, "", "no property: the engine would print the whole compatibility value");
        assert.match(result.failures?.[0].reason ?? "", /^drop-column: `ALTER TABLE products DROP COLUMN legacy_code` drops products\.legacy_code, which v1 still uses; live versions: v1 \(rollback\), v3 \(release\)\./);
        assert.ok(result.failures?.[0].reason.endsWith(allAtOnceHint));
    });

    it("passes the drop once no live version reads the column", async () => {
        const result = await migrationProvider.check(urn, {}, inputs([{ version: "v2", role: "rollback", sql: v2 }, { version: "v3", role: "release", sql: v2 }]));
        assert.equal(result.failures, undefined);
    });

    it("passes an all-at-once release, judged against the release alone, without the hint", async () => {
        assert.equal((await migrationProvider.check(urn, {}, inputs([{ version: "v3", role: "release", sql: v2 }], "all-at-once"))).failures, undefined);
        const breaksRelease = await migrationProvider.check(urn, {}, inputs([{ version: "v3", role: "release", sql: v1 }], "all-at-once"));
        assert.equal(breaksRelease.failures?.length, 1);
        assert.ok(!breaksRelease.failures?.[0].reason.includes(allAtOnceHint));
    });

    it("refuses a migration it cannot parse, naming its file", async () => {
        const result = await migrationProvider.check(urn, {}, inputs([{ version: "v1", role: "live", sql: v1 }], "staged", "ALTER TABLE products DROP COLUM legacy_code"));
        assert.deepEqual(result.failures?.map((f) => f.reason), ['bad-input: the migration V3__drop_legacy.sql cannot be checked: migration V3__drop_legacy.sql:1:33: syntax error at or near "legacy_code"']);
    });

    it("does not judge a file the state has applied, and says so in the inputs it returns", async () => {
        const olds = { ...breaking, appliedAt: 1 };
        const result = await migrationProvider.check(urn, olds, breaking);
        assert.equal(result.failures, undefined);
        assert.equal((result.inputs as MigrationInputs).compatibility?.applied, true);
    });

    it("judges a new file even when the program claims it applied", async () => {
        const claimed = { ...breaking, compatibility: { ...breaking.compatibility!, applied: true } };
        const result = await migrationProvider.check(urn, {}, claimed);
        assert.equal(result.failures?.length, 1);
        assert.equal((result.inputs as MigrationInputs).compatibility?.applied, undefined);
    });

    it("refuses an applied file that changed, before judging anything", async () => {
        const olds = { ...breaking, checksum: checksumOf("something else"), appliedAt: 1 };
        const result = await migrationProvider.check(urn, olds, breaking);
        assert.equal(result.failures?.length, 1);
        assert.equal(result.failures?.[0].property, "checksum");
        assert.match(result.failures?.[0].reason ?? "", /^migration V3__drop_legacy\.sql was applied with checksum/);
    });

    it("leaves a live set not yet known at a preview to the up", async () => {
        const unknown = { ...breaking, compatibility: { schema, live: [{ version: "v1", role: "rollback" as const, sql: unknownValue }] } };
        assert.equal((await migrationProvider.check(urn, {}, unknown)).failures, undefined);
    });

    it("counts the check's applied note as no change: a stage that changes nothing else updates nothing", async () => {
        const noted = (await migrationProvider.check(urn, { ...breaking, appliedAt: 1 }, breaking)).inputs as MigrationInputs;
        assert.deepEqual(await migrationProvider.diff("V3", urn, { ...breaking, appliedAt: 1 }, noted), { changes: false, replaces: [] });
        const newLive = { ...noted, compatibility: { ...noted.compatibility!, live: [{ version: "v3", role: "release" as const, sql: v2 }] } };
        assert.deepEqual(await migrationProvider.diff("V3", urn, { ...breaking, appliedAt: 1 }, newLive), { changes: true, replaces: [] }, "a new live set: an update that applies nothing");
    });

    const cases: { name: string; olds: object; applied: boolean }[] = [
        { name: "a new resource", olds: {}, applied: false },
        { name: "the same version and checksum", olds: { version: 3, checksum: breaking.checksum }, applied: true },
        { name: "another checksum", olds: { version: 3, checksum: "x" }, applied: false },
        { name: "another version", olds: { version: 2, checksum: breaking.checksum }, applied: false },
    ];
    for (const c of cases) {
        it(`counts ${c.name} as ${c.applied ? "applied" : "to apply"}`, () => assert.equal(appliedInState(c.olds, breaking), c.applied));
    }
});
