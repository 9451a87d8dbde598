import * as pulumi from "@pulumi/pulumi";

export interface TargetHealthArgs {
    readonly targetGroupArn: pulumi.Input<string>;
    /** The EC2 instance id. */
    readonly targetId: pulumi.Input<string>;
    readonly port?: pulumi.Input<number>;
    readonly region: pulumi.Input<string>;
    readonly healthTimeoutSeconds: pulumi.Input<number>;
    readonly drainTimeoutSeconds: pulumi.Input<number>;
    /** An AWS API endpoint other than the region's. @default - the region's */
    readonly endpoint?: pulumi.Input<string>;
    /** The release epoch's id (components/fleet.ts). */
    readonly epoch?: pulumi.Input<string>;
}

/**
 * Waits for an ALB target (zdr:aws:TargetHealth): creating it waits until the target is in
 * service; deleting it deregisters the target and waits until it is deregistered. Pairs with an
 * aws.lb.TargetGroupAttachment, whose provider does not wait.
 */
export class TargetHealth extends pulumi.CustomResource {
    declare readonly targetId: pulumi.Output<string>;

    constructor(name: string, args: TargetHealthArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:aws:TargetHealth", name, args, opts);
    }
}
