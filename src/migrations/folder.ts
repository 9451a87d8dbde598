// An app's migration folder in Flyway's layout: V<n>__<description>.sql, applied in order of n,
// forward only (docs/migrations.md says why this layout).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface MigrationFile {
    /** n of V<n>: the order, and what schemaVersions refers to. */
    readonly version: number;
    /** The description from the file name, underscores as spaces. */
    readonly description: string;
    /** The file name, e.g. V2__orders_channel.sql. */
    readonly script: string;
    readonly sql: string;
    /** sha256 of the content with line endings normalised; recorded in the history table. */
    readonly checksum: string;
}

const flywayName = /^V(\d{1,9})__([A-Za-z0-9_\-. ]+)\.sql$/;

export class MigrationFolderError extends Error {}

/** The checksum of a migration's text; "\r\n" and "\n" give the same. */
export function checksumOf(sql: string): string {
    return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Parses a folder listing: every file must follow the layout (a stray .sql file is an error, not
 * silently skipped), numbers are unique. Returned in order of n.
 * Worked example: [V1__base.sql, V10__late.sql, V2__next.sql] gives 1, 2, 10.
 */
export function parseMigrationNames(dir: string, names: readonly string[]): { version: number; description: string; script: string }[] {
    const problems: string[] = [];
    const seen = new Map<number, string>();
    const files = [];
    for (const script of names) {
        if (!script.endsWith(".sql")) {
            continue;
        }
        const m = flywayName.exec(script);
        if (!m) {
            problems.push(`${path.join(dir, script)}: not a migration name: use V<n>__<description>.sql, e.g. V3__drop_legacy_code.sql`);
            continue;
        }
        const version = Number(m[1]);
        if (seen.has(version)) {
            problems.push(`${path.join(dir, script)}: V${version} is also ${seen.get(version)}; every migration needs its own number`);
            continue;
        }
        seen.set(version, script);
        files.push({ version, description: m[2].replace(/_/g, " "), script });
    }
    if (problems.length > 0) {
        throw new MigrationFolderError(problems.join("\n"));
    }
    return files.sort((a, b) => a.version - b.version);
}

/** Reads every migration of a folder, in order. */
export function readMigrationFolder(dir: string): MigrationFile[] {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new MigrationFolderError(`${dir}: the migrations folder does not exist`);
    }
    return parseMigrationNames(dir, fs.readdirSync(dir)).map((f) => {
        const sql = fs.readFileSync(path.join(dir, f.script), "utf8");
        return { ...f, sql, checksum: checksumOf(sql) };
    });
}
