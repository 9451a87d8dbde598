// The judgement's description of a canary and its evidence: who is judged against whom, and where
// the evidence is, as each target's environment fills it in (canaryEvidence in
// targets/<kind>/environment.ts). The Judgement's inputs (provider/canary/judgement.ts) extend it;
// the bake and `zdr watch` (reading it from the stack's state) take their sources from it
// (targets/evidence.ts). Types only.
import type { SshHost } from "../contract/ssh";
import type { JudgeOptions } from "../src/canary/judge";
import type { MetricCheckConfig } from "../src/monitors/config";
import type { HostAppLog } from "./hosts/evidence/app-log";

export interface CanaryEvidenceInputs {
    /** HAProxy's request log (local default, HAProxy targets). */
    readonly requestLog?: string;
    /**
     * HAProxy's request log on its host, read over SSH (the hosts target): each poll mirrors its
     * new bytes into a copy on this machine (the bake's beside its report; `zdr watch`'s in a folder
     * of its own), which the judge reads as requestLog.
     * @default - the log is local (requestLog)
     */
    readonly remoteRequestLog?: { readonly ssh: SshHost; readonly file: string };
    /** Server name -> its app log (stdout and stderr): new error templates become signatures (src/canary/app-log.ts). @default - none */
    readonly appLogs?: Record<string, string>;
    /**
     * Server name -> where its app log is on its host (a file or a journald unit), read over SSH
     * (the hosts target): each poll mirrors its new lines into a copy on this machine, read as appLogs.
     * @default - none
     */
    readonly hostAppLogs?: Record<string, { readonly ssh: SshHost } & HostAppLog>;
    /**
     * The app servers' own log lines in CloudWatch Logs (AWS target): read with the ALB's logs,
     * after the bake, for the canary's and the baseline's streams (targets/aws/evidence/app-log.ts).
     * @default - none
     */
    readonly cloudWatchLogs?: {
        readonly region: string;
        readonly group: string;
        /** Server name -> its log stream. */
        readonly streams: Record<string, string>;
        readonly endpoint?: string;
    };
    /** What makes an app log line without a level an error (a regular expression, case-insensitive). @default - src/canary/log-level.ts's defaultErrorPattern */
    readonly appLogErrorPattern?: string;
    /**
     * The stack's Prometheus and each server's `{instance}` (the local default), or the team's (the
     * hosts target: `{instance}` is the host's node_exporter, targets/hosts/metrics.ts); freshTargets, the
     * folder of file_sd targets where a fresh baseline is written for its bake (prometheus-config.ts).
     * @default - no metric checks
     */
    readonly prometheus?: { readonly url: string; readonly instances: Record<string, string>; readonly freshTargets?: string };
    /**
     * CloudWatch and each server's EC2 instance id (the AWS target): the metric checks' values,
     * GetMetricData per server (targets/aws/evidence/cloudwatch-metrics.ts). @default - none
     */
    readonly cloudWatchMetrics?: { readonly region: string; readonly instances: Record<string, string>; readonly endpoint?: string };
    /** The metric checks, judged when `prometheus` or `cloudWatchMetrics` is set (src/monitors/metric-judge.ts). @default - none */
    readonly metricChecks?: MetricCheckConfig[];
    /**
     * Why the metric checks are off (the hosts target without zdr:prometheusUrl): said in the bake's
     * live line and a stopping verdict's message, and kept in the record (`metricsOff`).
     * @default - they run, or the target reads no metric
     */
    readonly metricsOff?: string;
    /** The ALB's access logs in S3 (AWS target). */
    readonly albLogs?: {
        readonly bucket: string;
        readonly prefix: string;
        readonly region: string;
        /** Server name -> "ip:port" as the log names the target. */
        readonly targets: Record<string, string>;
        /** @default 330 */
        readonly deliverySeconds?: number;
        readonly endpoint?: string;
    };
    readonly canary: string;
    readonly version: string;
    /** Servers on the stable version, in the load balancer. */
    readonly baseline: string[];
    /** Tolerances and rates of the judge (src/canary/config.ts). @default - the judge's defaults */
    readonly judge?: JudgeOptions;
}
