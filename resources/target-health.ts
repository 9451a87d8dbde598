import * as pulumi from "@pulumi/pulumi";
import type { TargetHealthInputs } from "../contract/target-health";
import type { HookOutcome } from "../contract/member";
import { targetHealthType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link TargetHealth}; documented on {@link TargetHealthInputs}. */
export type TargetHealthArgs = ArgsOf<TargetHealthInputs>;

/**
 * Waits for an ALB target (zdr:aws:TargetHealth): creating it waits until the target is in
 * service (the team's hooks around that, over SSH on the instance); deleting it deregisters the
 * target and waits until it is deregistered. Pairs with an aws.lb.TargetGroupAttachment, whose
 * provider does not wait, created after it.
 */
export class TargetHealth extends pulumi.CustomResource {
    declare readonly targetId: pulumi.Output<string>;
    /** What each hook of the last registration did; undefined without hooks. */
    declare readonly hookResults: pulumi.Output<HookOutcome[] | undefined>;
    /** false when the create recorded the target out (see `failure`). */
    declare readonly inLoadBalancer: pulumi.Output<boolean | undefined>;
    /** Why the target is not in the load balancer after the create. */
    declare readonly failure: pulumi.Output<string | undefined>;

    constructor(name: string, args: TargetHealthArgs, opts?: pulumi.CustomResourceOptions) {
        // the hooks' SSH connection holds the deploy key, their mask the stack's secrets
        super(targetHealthType, name, { ...args, hookResults: undefined, inLoadBalancer: undefined, failure: undefined }, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "hooks"] });
    }
}
