import { strict as assert } from "node:assert";
import { checksumOf, MigrationFolderError, parseMigrationNames } from "../../../src/migrations/folder";

describe("a migration folder in Flyway's layout", () => {
    it("orders the files by their number, not their names", () => {
        const files = parseMigrationNames("db", ["V10__late.sql", "V2__add_channel.sql", "V1__base.sql", "README.md"]);
        assert.deepEqual(files.map((f) => [f.version, f.description, f.script]), [
            [1, "base", "V1__base.sql"],
            [2, "add channel", "V2__add_channel.sql"],
            [10, "late", "V10__late.sql"],
        ]);
    });
    const bad: [string, string[], string][] = [
        ["a .sql file not named V<n>__<description>.sql", ["V1__base.sql", "2_add.up.sql"], "db/2_add.up.sql: not a migration name: use V<n>__<description>.sql, e.g. V3__drop_legacy_code.sql"],
        ["two files with one number", ["V1__base.sql", "V01__other.sql"], "db/V01__other.sql: V1 is also V1__base.sql; every migration needs its own number"],
    ];
    for (const [name, names, message] of bad) {
        it(`refuses ${name}`, () => assert.throws(() => parseMigrationNames("db", names), (e: Error) => e instanceof MigrationFolderError && e.message === message));
    }
    it("gives CRLF and LF files the same checksum, and any other change another", () => {
        assert.equal(checksumOf("SELECT 1;\r\nSELECT 2;\r\n"), checksumOf("SELECT 1;\nSELECT 2;\n"));
        assert.notEqual(checksumOf("SELECT 1;\n"), checksumOf("SELECT 1; \n"));
    });
});
