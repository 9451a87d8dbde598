import * as pulumi from "@pulumi/pulumi";
import type { EpochInputs } from "../contract/release";
import { epochType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link Epoch}; documented on {@link EpochInputs}. */
export type EpochArgs = ArgsOf<EpochInputs>;

/**
 * The release epoch (zdr:release:Epoch): replaced, delete-first, only when an all-at-once release
 * begins; every server's deploy and membership depend on its id, so that replacement takes them
 * all down first. See provider/release/epoch.ts and docs/release-graph.md.
 */
export class Epoch extends pulumi.CustomResource {
    declare readonly mode: pulumi.Output<string>;

    constructor(name: string, args: EpochArgs, opts?: pulumi.CustomResourceOptions) {
        super(epochType, name, args, { ...opts, deleteBeforeReplace: true });
    }
}
