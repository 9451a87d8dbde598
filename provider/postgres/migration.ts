// zdr:postgres:Migration — applies a release's SQL once. Schema changes only go forward:
// deleting the resource (a destroy, or a new release's migration) leaves the schema as it is;
// the ledger table zdr_migrations records what was applied and when.
import type * as provider from "@pulumi/pulumi/provider";
import { Client } from "pg";
import { changedKeys } from "../diff";

export const migrationType = "zdr:postgres:Migration";

export interface Connection {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
    readonly password?: string;
}

export interface MigrationInputs {
    readonly connection: Connection;
    /** Unique name of the migration, e.g. `v2`. */
    readonly name: string;
    readonly sql: string;
    /** What the schema-compatibility policy reads (live versions and their SQL); no effect here. */
    readonly compatibility?: unknown;
}

export interface MigrationOutputs extends MigrationInputs {
    /** Epoch ms when it was applied, or when an earlier apply was found in the ledger. */
    readonly appliedAt: number;
}

export async function applyMigration(m: MigrationInputs): Promise<number> {
    const client = new Client({ ...m.connection, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
        await client.query(
            "CREATE TABLE IF NOT EXISTS zdr_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        );
        const done = await client.query("SELECT applied_at FROM zdr_migrations WHERE name = $1", [m.name]);
        if (done.rowCount) {
            return (done.rows[0].applied_at as Date).getTime();
        }
        await client.query("BEGIN");
        try {
            await client.query(m.sql);
            await client.query("INSERT INTO zdr_migrations (name) VALUES ($1)", [m.name]);
            await client.query("COMMIT");
        } catch (e) {
            await client.query("ROLLBACK");
            throw new Error(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`);
        }
        return Date.now();
    } finally {
        await client.end();
    }
}

export const migrationProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: MigrationOutputs, news: MigrationInputs) {
        // A new live set changes only what the policy reads: an update that applies nothing.
        const changed = changedKeys(olds, news, ["appliedAt"]);
        return { changes: changed.length > 0, replaces: changed.filter((k) => k !== "compatibility") };
    },
    async update(_id, _urn, olds: MigrationOutputs, news: MigrationInputs) {
        return { outs: { ...news, appliedAt: olds.appliedAt } };
    },
    async create(_urn, inputs: MigrationInputs) {
        const appliedAt = await applyMigration(inputs);
        return { id: inputs.name, outs: { ...inputs, appliedAt } };
    },
    async delete() {
        // Forward-only: see the header comment.
    },
};
