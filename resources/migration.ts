import * as pulumi from "@pulumi/pulumi";
import type { Compatibility } from "../src/migrations/guard";
import { migrationType } from "../contract/tokens";

export interface PostgresConnectionArgs {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly user: pulumi.Input<string>;
    readonly database: pulumi.Input<string>;
    /** Pass a Pulumi secret. @default - none (trust authentication) */
    readonly password?: pulumi.Input<string>;
}

/** A migration file as the history table records it. */
export interface MigrationFileRef {
    /** n of V<n>__<description>.sql. */
    readonly version: number;
    /** The file name. */
    readonly script: string;
    /** sha256 of its content (src/migrations/folder.ts). */
    readonly checksum: string;
}

export interface MigrationArgs extends MigrationFileRef {
    readonly connection: pulumi.Input<PostgresConnectionArgs>;
    readonly description: string;
    readonly sql: string;
    /** Every earlier file of the folder; the applied ones are validated against the history before this one runs. */
    readonly earlier: readonly MigrationFileRef[];
    /**
     * What the schema guard checks the SQL against before it applies (the resource refuses a
     * migration that breaks a live version, and the CrossGuard pack shows the same verdict): the
     * schema before this migration (every earlier file, in order), the SQL of every version live
     * while it applies (sql undefined = unknown) and the release mode.
     * @default - not checked
     */
    readonly compatibility?: pulumi.Input<Omit<Compatibility, "applied">>;
}

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
