import * as pulumi from "@pulumi/pulumi";

export interface EpochArgs {
    /** "staged" (one server at a time) or "all-at-once" (every server stopped, then migrated, then started). */
    readonly mode: pulumi.Input<"staged" | "all-at-once">;
    readonly release: pulumi.Input<string>;
}

/**
 * The release epoch (zdr:release:Epoch): replaced, delete-first, only when an all-at-once release
 * begins; every server's deploy and membership depend on its id, so that replacement takes them
 * all down first. See provider/release/epoch.ts and docs/release-graph.md.
 */
export class Epoch extends pulumi.CustomResource {
    declare readonly mode: pulumi.Output<string>;

    constructor(name: string, args: EpochArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:release:Epoch", name, args, { ...opts, deleteBeforeReplace: true });
    }
}
