import * as pulumi from "@pulumi/pulumi";
import type { JudgementInputs } from "../provider/canary/judgement";
import type { ArgsOf } from "./args";
import { judgementType } from "../contract/tokens";

/** A Judgement's args: its provider's inputs (provider/canary/judgement.ts, each documented there), every part of them an Input (pass SSH keys and the fresh baseline's env as secrets). */
export type JudgementArgs = ArgsOf<JudgementInputs>;

/** The ALB's access logs in S3, the evidence on AWS. */
export type AlbLogsArgs = ArgsOf<NonNullable<JudgementInputs["albLogs"]>>;

/** The canary judgement after a reattach (zdr:canary:Judgement): a failing verdict is its `failure`, which stops the up at the batch's check. */
export class Judgement extends pulumi.CustomResource {
    /** "pass": the judgement let the canary through (a pass, or an inconclusive verdict without stopWhenInconclusive); "fail" only in the state of a judgement that stopped an `up`. */
    declare readonly verdict: pulumi.Output<"pass" | "accepted" | "fail" | "inconclusive" | "not judged">;
    /** Why the verdict stops the release (recorded, not thrown: the batch's check fails the up). */
    declare readonly failure: pulumi.Output<string | undefined>;
    /** The judge's own verdict: "pass" or "inconclusive". */
    declare readonly outcome: pulumi.Output<"pass" | "inconclusive" | undefined>;

    constructor(name: string, args: JudgementArgs, opts?: pulumi.CustomResourceOptions) {
        // over SSH, the connection (with its private key) is always a secret in the state
        // the fresh baseline's environment holds the database password
        const secretOutputs = [...(args.remoteRequestLog ? ["remoteRequestLog", "leaveOutOnFail", ...(args.hostAppLogs ? ["hostAppLogs"] : [])] : []), ...(args.freshBaseline ? ["freshBaseline"] : [])];
        const secret = secretOutputs.length > 0 ? { additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretOutputs] } : {};
        super(judgementType, name, { ...args, verdict: undefined, outcome: undefined, failure: undefined }, { ...opts, ...secret });
    }
}
