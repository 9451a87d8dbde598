import * as pulumi from "@pulumi/pulumi";
import type { LiveVersion } from "../src/migrations/check";
import { migrationType } from "./tokens";

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
     * What the schema-compatibility policy checks the SQL against: the schema before this
     * migration (every earlier file, in order) and the SQL of every version live while it applies
     * (sql undefined = unknown).
     * @default - not checked
     */
    readonly compatibility?: pulumi.Input<{
        readonly schema?: string;
        readonly live: readonly LiveVersion[];
        /** The release mode; "all-at-once" means no old version runs while the migration applies. */
        readonly mode?: "staged" | "all-at-once";
    }>;
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
