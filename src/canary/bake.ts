// The judges of a bake, given its sources (./sources.ts): the request judge fed as HAProxy logs
// requests, and the metric checks read from the target's store. The provider's judgement
// (provider/canary/judgement.ts) bakes with them; `zdr watch` watches a bake with them.
import type { CanaryEvidenceInputs } from "../../targets/canary-evidence";
import type { MetricChecksSetup } from "./judge";
import type { LoggedRequest } from "./evidence";
import { LiveJudgement } from "./live";
import { errorPattern } from "./log-level";
import type { CanarySources, LiveRequests } from "./sources";
import { serverInstance } from "../monitors/prometheus-config";

/**
 * The metric checks of a bake, when the judgement has checks and its target a store to read them
 * from (sources.metrics); their share of alpha as judge.ts gives it. With a fresh baseline the
 * canary's metrics are compared with its alone, from the moment it joined: two processes of the
 * same age (a fresh process spends more CPU a request while its JIT compiles and holds less memory
 * than one that has run for minutes: the lesson of issue 24 for latency holds for them too).
 * Without one, with the stable servers. They are a check of the canary judge (./checks/metrics.ts),
 * which gives them their share of alpha. `zdr watch` judges a bake's metrics with it too.
 */
export function metricSetup(i: CanaryEvidenceInputs, sources: CanarySources, fresh: { server: string; port: number; joinedAt: number } | undefined, from: number): MetricChecksSetup | undefined {
    if (!i.metricChecks || i.metricChecks.length === 0 || !sources.metrics) {
        return undefined;
    }
    const source = sources.metrics(fresh ? { [fresh.server]: serverInstance(fresh.port) } : {});
    return { source, checks: i.metricChecks, canary: i.canary, ...(fresh ? { baseline: [fresh.server], from: fresh.joinedAt } : { baseline: i.baseline, from }) };
}

/**
 * The request checks of a live bake (HAProxy's log): the tail threshold is fixed from the
 * baseline's last minute before the canary is judged; the app's own lines are read from `from` on
 * (src/canary/live.ts); with `metrics`, its judge has the metric checks too (the bake polls them).
 * `zdr watch` judges a bake's requests with it too.
 */
export function liveJudgement(i: CanaryEvidenceInputs, requests: LiveRequests, from: number, fresh?: { server: string; logFile: string }, onRequest?: (r: LoggedRequest) => void, metrics?: MetricChecksSetup): LiveJudgement {
    const appLogs = fresh ? { ...requests.appLogs, [fresh.server]: fresh.logFile } : requests.appLogs;
    return new LiveJudgement({
        requestLog: requests.requestLog,
        canary: i.canary,
        baseline: i.baseline,
        ...(fresh ? { fresh: fresh.server } : {}),
        from,
        ...(appLogs ? { appLogs } : {}),
        ...(i.appLogErrorPattern ? { appLogErrorPattern: errorPattern(i.appLogErrorPattern, "appLogErrorPattern") } : {}),
        ...(i.judge ? { judge: i.judge } : {}),
        ...(onRequest ? { onRequest } : {}),
        ...(metrics ? { metrics } : {}),
    });
}
