import * as pulumi from "@pulumi/pulumi";

export interface PostgresConnectionArgs {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly user: pulumi.Input<string>;
    readonly database: pulumi.Input<string>;
    /** Pass a Pulumi secret. @default - none (trust authentication) */
    readonly password?: pulumi.Input<string>;
}

export interface MigrationArgs {
    readonly connection: pulumi.Input<PostgresConnectionArgs>;
    /** Unique name, recorded in the zdr_migrations ledger table. */
    readonly name: pulumi.Input<string>;
    readonly sql: pulumi.Input<string>;
    /**
     * What the schema-compatibility policy checks the SQL against: the schema before this
     * migration and the SQL of every version live while it applies (sql undefined = unknown).
     * @default - not checked
     */
    readonly compatibility?: pulumi.Input<{
        readonly schema?: string;
        readonly live: { readonly version: string; readonly role: "live" | "running" | "release" | "rollback"; readonly sql?: string }[];
        /** The release mode; "all-at-once" means no old version runs while the migration applies. */
        readonly mode?: "staged" | "all-at-once";
    }>;
}

/** SQL applied once, in a transaction (zdr:postgres:Migration). Deleting it changes nothing. */
export class Migration extends pulumi.CustomResource {
    declare readonly appliedAt: pulumi.Output<number>;

    constructor(name: string, args: MigrationArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:postgres:Migration", name, { ...args, appliedAt: undefined }, opts);
    }
}
