// zdr:postgres:Migration — applies one migration file once, as a migration tool does: what was
// applied is recorded in the database's history table (zdr_schema_history: version, description,
// script, checksum, time); nothing is applied twice; an applied file that has since changed is
// refused with its name before anything runs; a failing migration leaves schema and history as
// they were (one transaction), and the error names the statement and PostgreSQL's message.
// A migration that breaks a live version is refused before anything runs, at preview and at up,
// whatever CLI or policy pack runs it (the schema guard, src/migrations/guard.ts).
// Schema changes only go forward: deleting the resource changes nothing in the database.
import type * as provider from "@pulumi/pulumi/provider";
import { Client } from "pg";
import { loadParser, parseSql, Statement } from "../../src/migrations/sql";
import { Compatibility, guardViolations } from "../../src/migrations/guard";
import { changedKeys, unknownValue } from "../diff";

export { migrationType } from "../../contract/tokens";
export const historyTable = "zdr_schema_history";

/** Where the migrations run (the program's PostgresConnectionArgs: resources/migration.ts). */
export interface Connection {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
    /** Pass a Pulumi secret. @default - none (trust authentication) */
    readonly password?: string;
}

/** An entry of the migration folder, as the history table records it. */
export interface AppliedFile {
    /** n of V<n>__<description>.sql. */
    readonly version: number;
    /** The file name. */
    readonly script: string;
    /** sha256 of its content (src/migrations/folder.ts). */
    readonly checksum: string;
}

/** A Migration's inputs, declared once: the program's MigrationArgs are derived from them (resources/migration.ts). */
export interface MigrationInputs extends AppliedFile {
    readonly connection: Connection;
    readonly description: string;
    readonly sql: string;
    /** Every earlier file of the folder; the applied ones are validated against the history before this one runs. */
    readonly earlier: readonly AppliedFile[];
    /**
     * What the schema guard checks the SQL against before it applies (the resource refuses a
     * migration that breaks a live version, and the CrossGuard pack shows the same verdict): the
     * schema before this migration (every earlier file, in order), the SQL of every version live
     * while it applies (sql undefined = unknown) and the release mode. `applied` is the
     * resource's own check's, never the program's.
     * @default - not checked
     */
    readonly compatibility?: Compatibility;
}

export interface MigrationOutputs extends MigrationInputs {
    /** Epoch ms when it was applied, or when an earlier apply was found in the history. */
    readonly appliedAt: number;
}

/**
 * Statements PostgreSQL refuses inside a transaction block ("... cannot run inside a transaction
 * block", checked on PostgreSQL 15): CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and
 * REINDEX SCHEMA/SYSTEM/DATABASE, ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, VACUUM (not
 * ANALYZE alone), CLUSTER without a table, CREATE/DROP DATABASE, ALTER DATABASE ... SET
 * TABLESPACE, ALTER SYSTEM, CREATE/DROP TABLESPACE, DISCARD ALL, and the subscription commands
 * (refused when they create, drop or copy through a replication slot; outside a transaction they
 * always run). A file with one runs statement by statement outside a transaction (see
 * docs/migrations.md).
 */
export const nonTransactional = (s: Statement): boolean => {
    const n = s.node;
    const reindex = n.ReindexStmt;
    return Boolean(
        n.IndexStmt?.concurrent ||
        n.DropStmt?.concurrent ||
        reindex?.params?.some((p) => p.DefElem?.defname === "concurrently") ||
        (reindex && ["REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_SYSTEM", "REINDEX_OBJECT_DATABASE"].includes(reindex.kind ?? "")) ||
        n.AlterTableStmt?.cmds?.some((c) => c.AlterTableCmd?.subtype === "AT_DetachPartition" && c.AlterTableCmd.def?.PartitionCmd?.concurrent) ||
        n.VacuumStmt?.is_vacuumcmd ||
        (n.ClusterStmt && !n.ClusterStmt.relation) ||
        n.CreatedbStmt || n.DropdbStmt ||
        n.AlterDatabaseStmt?.options?.some((o) => o.DefElem?.defname === "tablespace") ||
        n.AlterSystemStmt ||
        n.CreateTableSpaceStmt || n.DropTableSpaceStmt ||
        n.DiscardStmt?.target === "DISCARD_ALL" ||
        n.CreateSubscriptionStmt || n.AlterSubscriptionStmt || n.DropSubscriptionStmt,
    );
};

const lineOf = (sql: string, offset: number) => sql.slice(0, offset).split("\n").length;

const changedMessage = (file: AppliedFile, recorded: string) =>
    `migration ${file.script} was applied with checksum ${recorded.slice(0, 12)}… and has changed since (now ${file.checksum.slice(0, 12)}…): ` +
    `an applied migration must not change; restore the file and put the change in a new migration`;

async function connect(c: Connection): Promise<Client> {
    const client = new Client({ ...c, connectionTimeoutMillis: 5000, application_name: "zdr-migrations" });
    await client.connect();
    return client;
}

/**
 * Applies `m` unless the history already has it. Throws, before running anything, when an applied
 * file (this or an earlier one) no longer has the checksum the history recorded.
 */
export async function applyMigration(m: MigrationInputs): Promise<number> {
    await loadParser();
    const statements = parseSql(m.sql, m.script);
    const client = await connect(m.connection);
    try {
        // One migrating `up` at a time per database, as Flyway's lock does.
        await client.query("SELECT pg_advisory_lock(hashtext($1))", [historyTable]);
        await client.query(
            `CREATE TABLE IF NOT EXISTS ${historyTable} (
                installed_rank serial PRIMARY KEY,
                version integer NOT NULL UNIQUE,
                description text NOT NULL,
                script text NOT NULL,
                checksum text NOT NULL,
                installed_on timestamptz NOT NULL DEFAULT now(),
                execution_ms integer NOT NULL,
                success boolean NOT NULL
            )`,
        );
        const rows = (await client.query(`SELECT version, script, checksum, installed_on FROM ${historyTable} ORDER BY version`)).rows as
            { version: number; script: string; checksum: string; installed_on: Date }[];
        for (const file of [...m.earlier, m]) {
            const row = rows.find((r) => r.version === file.version);
            if (row && row.checksum !== file.checksum) {
                throw new Error(changedMessage(file, row.checksum));
            }
        }
        const done = rows.find((r) => r.version === m.version);
        if (done) {
            return done.installed_on.getTime();
        }
        const started = Date.now();
        const record = () =>
            client.query(
                `INSERT INTO ${historyTable} (version, description, script, checksum, execution_ms, success) VALUES ($1, $2, $3, $4, $5, true)`,
                [m.version, m.description, m.script, m.checksum, Date.now() - started],
            );
        if (statements.some(nonTransactional)) {
            await runOutsideTransaction(client, m, statements);
            await record();
        } else {
            await client.query("BEGIN");
            try {
                for (const s of statements) {
                    await run(client, m, s, "nothing of it was applied (rolled back) and the history is unchanged");
                }
                await record();
                await client.query("COMMIT");
            } catch (e) {
                await client.query("ROLLBACK");
                throw e;
            }
        }
        return Date.now();
    } finally {
        await client.end();
    }
}

async function run(client: Client, m: MigrationInputs, s: Statement, consequence: string): Promise<void> {
    try {
        await client.query(s.text);
    } catch (e) {
        throw new Error(
            `migration ${m.script} failed at line ${lineOf(m.sql, s.location)}: ${s.text}\n` +
            `PostgreSQL: ${(e as Error).message}\n${consequence}`,
        );
    }
}

/**
 * A file with a statement PostgreSQL cannot run in a transaction (e.g. CREATE INDEX
 * CONCURRENTLY): statement by statement. On a failure the statements before it stay applied, an
 * index the failing statement left INVALID is dropped, and the history records nothing: the next
 * `up` runs the whole file again, so such files should say IF NOT EXISTS / IF EXISTS.
 */
async function runOutsideTransaction(client: Client, m: MigrationInputs, statements: Statement[]): Promise<void> {
    for (const [i, s] of statements.entries()) {
        try {
            await run(client, m, s, "");
        } catch (e) {
            const index = s.node.IndexStmt?.idxname as string | undefined;
            if (s.node.IndexStmt?.concurrent && index) {
                const invalid = await client.query(
                    "SELECT c.oid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid",
                    [index],
                );
                for (const r of invalid.rows as { name: string }[]) {
                    await client.query(`DROP INDEX IF EXISTS ${r.name}`);
                }
            }
            const before = i === 0 ? "no statement before it was applied" : `the ${i} statement(s) before it stay applied`;
            throw new Error(`${(e as Error).message.trimEnd()}\nit runs outside a transaction (it has a statement PostgreSQL cannot run in one): ${before}; the history is unchanged and the next up runs the file again`);
        }
    }
}

/**
 * Has the stack's state this very file as applied (same version and checksum)? Then nothing of
 * it runs again (a replace only renames: the history has it), and the guard does not judge it.
 */
export const appliedInState = (olds: Partial<MigrationInputs>, news: MigrationInputs): boolean =>
    olds.version === news.version && olds.checksum !== undefined && olds.checksum === news.checksum;

/** m without the note its check adds (compatibility.applied). */
function withoutNote<T extends MigrationInputs>(m: T): T {
    if (!m.compatibility) {
        return m;
    }
    const { applied: _, ...compatibility } = m.compatibility;
    return { ...m, compatibility };
}

export const migrationProvider: Required<Pick<provider.Provider, "check" | "diff" | "create" | "update" | "delete">> = {
    /**
     * Refuses, before anything runs, an applied file that changed since and a migration that
     * breaks a live version (the guard's blocks, with the message the CrossGuard pack shows).
     * The returned inputs say whether the state has the file applied (compatibility.applied): the
     * pack, which sees only these inputs, then skips it as the guard here does.
     */
    async check(_urn, olds: Partial<MigrationOutputs>, news: MigrationInputs) {
        if (olds.checksum && news.checksum && olds.version === news.version && olds.checksum !== news.checksum) {
            return { inputs: news, failures: [{ property: "checksum", reason: changedMessage(news, olds.checksum) }] };
        }
        if (!news.compatibility) {
            return { inputs: news };
        }
        const unnoted = withoutNote(news);
        const inputs = appliedInState(olds, news) ? { ...unnoted, compatibility: { ...unnoted.compatibility!, applied: true } } : unnoted;
        // At a preview the live set may not be known yet; the up checks it once it is.
        if (JSON.stringify(inputs.compatibility).includes(unknownValue)) {
            return { inputs };
        }
        const blocks = await guardViolations(inputs, "block");
        // No property: the engine would print the whole compatibility value (every live version's SQL) beside each.
        return { inputs, ...(blocks.length > 0 ? { failures: blocks.map((v) => ({ property: "", reason: v.message })) } : {}) };
    },
    async diff(_id, _urn, olds: MigrationOutputs, news: MigrationInputs) {
        // A new live set or connection changes only what the guard reads: an update that applies
        // nothing. The check's own note (compatibility.applied) is no change at all.
        const changed = changedKeys(withoutNote(olds), withoutNote(news), ["appliedAt"]);
        return { changes: changed.length > 0, replaces: changed.filter((k) => !["compatibility", "earlier", "connection", "description"].includes(k)) };
    },
    async update(_id, _urn, olds: MigrationOutputs, news: MigrationInputs) {
        return { outs: { ...news, appliedAt: olds.appliedAt } };
    },
    async create(_urn, inputs: MigrationInputs) {
        const appliedAt = await applyMigration(inputs);
        return { id: `V${inputs.version}`, outs: { ...inputs, appliedAt } };
    },
    async delete() {
        // Forward-only: see the header comment.
    },
};
