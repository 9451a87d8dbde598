// The AWS target's canary evidence: the ALB's access logs in S3 (delivered every five minutes: read
// once after the bake and the delivery), the servers' own lines in CloudWatch Logs read with them,
// and CloudWatch's metrics (GetMetricData per server), read through the bake.
import { S3Client } from "@aws-sdk/client-s3";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { CanaryEvidenceInputs } from "../../canary-evidence";
import { AppLogWatch } from "../../../src/canary/app-log";
import type { LoggedRequest } from "../../../src/canary/evidence";
import { errorPattern } from "../../../src/canary/log-level";
import type { CanarySources } from "../../../src/canary/sources";
import { readAlbLogs } from "./alb-log";
import { eventLines, forEachCloudWatchEvent } from "./app-log";
import { CloudWatchMetricsSource } from "./cloudwatch-metrics";

/** The ALB's delivery wait unless the judgement gives its own (albLogs.deliverySeconds). */
export const defaultDeliverySeconds = 330;

async function albRequests(i: CanaryEvidenceInputs, a: NonNullable<CanaryEvidenceInputs["albLogs"]>, from: number, to: number): Promise<LoggedRequest[]> {
    const s3 = new S3Client({ region: a.region, ...(a.endpoint ? { endpoint: a.endpoint, forcePathStyle: true } : {}) });
    const serverOf = new Map(Object.entries(a.targets).map(([server, target]) => [target, server]));
    return (await readAlbLogs(s3, { bucket: a.bucket, prefix: a.prefix }, from, to))
        .flatMap((r) => {
            const server = serverOf.get(r.server);
            return server && (server === i.canary || i.baseline.includes(server)) ? [{ ...r, server }] : [];
        })
        .sort((x, y) => x.t - y.t);
}

/** Before the window, the stable servers' lines of this long are read as known templates. */
const knownCloudWatchMs = 10 * 60_000;

/**
 * The canary's and the baseline's lines in CloudWatch Logs over [from, to], in a watch that gives
 * each request the new templates its server logged while serving it; the stable servers' lines of
 * the ten minutes before are known templates.
 */
async function cloudWatchAppLogs(i: CanaryEvidenceInputs, cw: NonNullable<CanaryEvidenceInputs["cloudWatchLogs"]>, from: number, to: number): Promise<AppLogWatch> {
    const client = new CloudWatchLogsClient({ region: cw.region, ...(cw.endpoint ? { endpoint: cw.endpoint } : {}) });
    const streams = (servers: string[]) => Object.fromEntries(servers.filter((s) => cw.streams[s]).map((s) => [s, cw.streams[s]]));
    const watch = new AppLogWatch({}, i.canary, i.appLogErrorPattern ? { errorPattern: errorPattern(i.appLogErrorPattern, "appLogErrorPattern") } : {});
    await forEachCloudWatchEvent(client, { group: cw.group, streams: streams(i.baseline) }, from - knownCloudWatchMs, from - 1, (e) => eventLines(e.message).forEach((l) => watch.addKnown(l)));
    // page by page: only error lines are kept (the watch puts each server's in time order)
    await forEachCloudWatchEvent(client, { group: cw.group, streams: streams([i.canary, ...i.baseline]) }, from, to, (e) => eventLines(e.message).forEach((l) => watch.addLine(e.server, l, e.t, e.t)));
    return watch;
}

export function awsCanarySources(i: CanaryEvidenceInputs): CanarySources {
    const a = i.albLogs;
    if (!a) {
        throw new Error(`judgement of ${i.canary}: albLogs is not set`);
    }
    const deliverySeconds = a.deliverySeconds ?? defaultDeliverySeconds;
    const cw = i.cloudWatchMetrics;
    return {
        requests: {
            kind: "delivered",
            deliverySeconds,
            note: `requests: the ALB's access logs arrive every 5 min, judged ${deliverySeconds} s after the bake`,
            async read(from, to) {
                const appLogs = i.cloudWatchLogs ? await cloudWatchAppLogs(i, i.cloudWatchLogs, from, to) : undefined;
                const requests = (await albRequests(i, a, from, to)).flatMap((r) => {
                    if (r.t < from) {
                        return [];
                    }
                    // the ALB stamps a request with its response: a line logged by then goes with it
                    const signatures = appLogs?.take(r.server, r.t);
                    return [signatures ? { ...r, signatures } : r];
                });
                return { requests, ...(appLogs ? { appLogs } : {}) };
            },
        },
        ...(cw ? { metrics: () => new CloudWatchMetricsSource(cw), metricsRecord: { cloudWatch: cw } } : {}),
    };
}
