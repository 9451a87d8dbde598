import * as pulumi from "@pulumi/pulumi";
import type { Compatibility } from "../src/migrations/guard";
import { migrationType } from "../contract/tokens";
import type { AppliedFile, Connection, MigrationInputs } from "../provider/postgres/migration";
import type { ArgsOf, DeepInput } from "./args";

/** Where the migrations run; every field may be an Input (the password a Pulumi secret). */
export type PostgresConnectionArgs = ArgsOf<Connection>;

/** A migration file as the history table records it. */
export type MigrationFileRef = AppliedFile;

/** A Migration's args: its provider's inputs (provider/postgres/migration.ts), each an Input; `compatibility` without `applied` (the resource's own check sets it). */
export type MigrationArgs = ArgsOf<Omit<MigrationInputs, "compatibility">> & { readonly compatibility?: pulumi.Input<DeepInput<Omit<Compatibility, "applied">>> };

/**
 * One migration file applied once (zdr:postgres:Migration), recorded in the database's
 * zdr_schema_history table. Deleting it changes nothing.
 */
export class Migration extends pulumi.CustomResource {
    /** The type token, as generated SDKs carry it: CrossGuard's `validateResourceOfType` reads it. */
    static readonly __pulumiType = migrationType;

    /** Whether obj is a Migration (by its type token, across copies of this module). */
    static isInstance(obj: unknown): obj is Migration {
        return typeof obj === "object" && obj !== null && (obj as { __pulumiType?: unknown }).__pulumiType === Migration.__pulumiType;
    }

    declare readonly appliedAt: pulumi.Output<number>;

    constructor(name: string, args: MigrationArgs, opts?: pulumi.CustomResourceOptions) {
        super(migrationType, name, { ...args, appliedAt: undefined }, opts);
    }
}
