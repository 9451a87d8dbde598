import * as pulumi from "@pulumi/pulumi";

export interface JudgementArgs {
    /** HAProxy's request log, the evidence on the local default and HAProxy targets. */
    readonly requestLog?: pulumi.Input<string>;
    /** The ALB's access logs in S3, the evidence on AWS (instead of requestLog). */
    readonly albLogs?: pulumi.Input<AlbLogsArgs>;
    /** The canary server. */
    readonly canary: pulumi.Input<string>;
    /** The version the canary runs. */
    readonly version: pulumi.Input<string>;
    /** The id of the canary's deploy: a failing verdict stands for that deployment. */
    readonly deployment: pulumi.Input<string>;
    /** Servers on the stable version it is compared with. */
    readonly baseline: pulumi.Input<pulumi.Input<string>[]>;
    /** How long to collect evidence after the reattach. */
    readonly bakeSeconds: pulumi.Input<number>;
    /** Requests each side needs for a verdict. */
    readonly minSamples: pulumi.Input<number>;
    /** The team accepted this canary's verdict: no judgement. */
    readonly accepted: pulumi.Input<boolean>;
    /** The judgement as JSON, for reports. */
    readonly reportFile: pulumi.Input<string>;
}

export interface AlbLogsArgs {
    readonly bucket: pulumi.Input<string>;
    /** Key prefix up to ".../elasticloadbalancing/<region>/". */
    readonly prefix: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** Server name -> the target as the log names it ("ip:port"). */
    readonly targets: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** How long after the bake the logs are complete in S3. @default 330 (the ALB writes every 5 minutes) */
    readonly deliverySeconds?: pulumi.Input<number>;
    /** An S3 endpoint other than the region's. @default - the region's */
    readonly endpoint?: pulumi.Input<string>;
}

/** The canary judgement after a reattach (zdr:canary:Judgement): its create fails on a failing verdict. */
export class Judgement extends pulumi.CustomResource {
    declare readonly verdict: pulumi.Output<"pass" | "accepted">;

    constructor(name: string, args: JudgementArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:canary:Judgement", name, { ...args, verdict: undefined }, opts);
    }
}
