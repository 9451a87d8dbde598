import * as pulumi from "@pulumi/pulumi";
import type { TargetHealthInputs } from "../provider/aws/target-health";
import { targetHealthType } from "./tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link TargetHealth}; documented on {@link TargetHealthInputs}. */
export type TargetHealthArgs = ArgsOf<TargetHealthInputs>;

/**
 * Waits for an ALB target (zdr:aws:TargetHealth): creating it waits until the target is in
 * service; deleting it deregisters the target and waits until it is deregistered. Pairs with an
 * aws.lb.TargetGroupAttachment, whose provider does not wait.
 */
export class TargetHealth extends pulumi.CustomResource {
    declare readonly targetId: pulumi.Output<string>;

    constructor(name: string, args: TargetHealthArgs, opts?: pulumi.CustomResourceOptions) {
        super(targetHealthType, name, args, opts);
    }
}
