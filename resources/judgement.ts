import * as pulumi from "@pulumi/pulumi";

export interface JudgementArgs {
    /** HAProxy's request log, the evidence. */
    readonly requestLog: pulumi.Input<string>;
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

/** The canary judgement after a reattach (zdr:canary:Judgement): its create fails on a failing verdict. */
export class Judgement extends pulumi.CustomResource {
    declare readonly verdict: pulumi.Output<"pass" | "accepted">;

    constructor(name: string, args: JudgementArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:canary:Judgement", name, { ...args, verdict: undefined }, opts);
    }
}
