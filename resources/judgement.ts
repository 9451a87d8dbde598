import * as pulumi from "@pulumi/pulumi";
import type { JudgeOptions } from "../src/canary/judge";
import type { MetricCheckConfig } from "../src/monitors/config";
import type { SshHost } from "../contract/ssh";
import type { FreshBaselineInputs } from "../provider/canary/fresh-baseline";
import type { ArgsOf } from "./args";
import { judgementType } from "../contract/tokens";

type SshHostArgs = ArgsOf<SshHost>;

export interface JudgementArgs {
    /** HAProxy's request log, the evidence on the local default and HAProxy targets. */
    readonly requestLog?: pulumi.Input<string>;
    /** HAProxy's request log on its host, read over SSH (the hosts target, instead of requestLog); pass ssh.privateKey as a secret. */
    readonly remoteRequestLog?: pulumi.Input<{ ssh: pulumi.Input<SshHostArgs>; file: pulumi.Input<string> }>;
    /** Server name -> its app log (stdout and stderr): error templates the stable servers do not log fail the canary. @default - none */
    readonly appLogs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Server name -> its app log on its host (a file or a journald unit), read over SSH (the hosts target); pass ssh.privateKey as a secret. @default - none */
    readonly hostAppLogs?: pulumi.Input<Record<string, pulumi.Input<{ ssh: pulumi.Input<SshHostArgs>; file?: pulumi.Input<string>; unit?: pulumi.Input<string> }>>>;
    /** The servers' own lines in CloudWatch Logs (the AWS target): the app's group, a stream per server. @default - none */
    readonly cloudWatchLogs?: pulumi.Input<{ region: pulumi.Input<string>; group: pulumi.Input<string>; streams: pulumi.Input<Record<string, pulumi.Input<string>>>; endpoint?: pulumi.Input<string> }>;
    /** What makes an app log line without a level an error (a regular expression, case-insensitive). @default - an error word (src/canary/log-level.ts) */
    readonly appLogErrorPattern?: pulumi.Input<string>;
    /** The stack's Prometheus (the local default) or the team's (hosts) and each server's `{instance}`: the metric checks read it. @default - no metric checks */
    readonly prometheus?: pulumi.Input<{ url: pulumi.Input<string>; instances: pulumi.Input<Record<string, pulumi.Input<string>>>; freshTargets?: pulumi.Input<string> }>;
    /** CloudWatch and each server's EC2 instance id (the AWS target): the metric checks read GetMetricData. @default - none */
    readonly cloudWatchMetrics?: pulumi.Input<{ region: pulumi.Input<string>; instances: pulumi.Input<Record<string, pulumi.Input<string>>>; endpoint?: pulumi.Input<string> }>;
    /** The metric checks (src/monitors/config.ts), judged when `prometheus` or `cloudWatchMetrics` is set. @default - none */
    readonly metricChecks?: pulumi.Input<pulumi.Input<MetricCheckConfig>[]>;
    /** Why the metric checks are off (the hosts target without zdr:prometheusUrl): the judgement says it. @default - they run, or the target reads no metric */
    readonly metricsOff?: pulumi.Input<string>;
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
    /** The longest wait for a verdict after the reattach; the bake ends when the judge decides. */
    readonly bakeSeconds: pulumi.Input<number>;
    /** The judge's tolerances and rates (src/canary/config.ts parses them from config). @default - the judge's defaults */
    readonly judge?: pulumi.Input<JudgeOptions>;
    /** Stop the `up` on an inconclusive verdict too. @default false */
    readonly stopWhenInconclusive?: pulumi.Input<boolean>;
    /** HAProxy's runtime API and backend: a failing canary is set to maint there at once. @default - not left out */
    readonly leaveOutOnFail?: pulumi.Input<{ runtimeApi: pulumi.Input<string>; backend: pulumi.Input<string>; ssh?: pulumi.Input<SshHostArgs> }>;
    /**
     * The stable version started beside the canary for its bake, its latency and tail's baseline
     * (the local default; provider/canary/fresh-baseline.ts); `env` holds the database password:
     * pass it as a secret. @default - none
     */
    readonly freshBaseline?: pulumi.Input<ArgsOf<FreshBaselineInputs>>;
    /** Keep a failing canary in the load balancer, to watch it longer. @default false */
    readonly keepServingOnFail?: pulumi.Input<boolean>;
    /** The team accepted this canary's verdict: no judgement. */
    readonly accepted: pulumi.Input<boolean>;
    /** The judgement as JSON, for reports. */
    readonly reportFile: pulumi.Input<string>;
    /** Why the canary is not serving at this up (its membership's failure): it is not judged. @default - it serves */
    readonly notServing?: pulumi.Input<string | undefined>;
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
