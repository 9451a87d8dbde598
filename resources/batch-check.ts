import * as pulumi from "@pulumi/pulumi";
import type { BatchCheckInputs } from "../contract/release";
import { batchCheckType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link BatchCheck}; documented on {@link BatchCheckInputs}. */
export type BatchCheckArgs = ArgsOf<BatchCheckInputs>;

/**
 * Where a batch's failures stop the `up` (zdr:release:BatchCheck), once every server of the batch
 * has finished its own steps: see provider/release/batch-check.ts and docs/release-graph.md.
 */
export class BatchCheck extends pulumi.CustomResource {
    constructor(name: string, args: BatchCheckArgs, opts?: pulumi.CustomResourceOptions) {
        super(batchCheckType, name, args, opts);
    }
}
