// The local default's canary evidence: HAProxy's request log and each server's log, files on this
// machine; the stack's own Prometheus (src/monitors/prometheus-config.ts), each server's
// `{instance}` its address there.
import type { CanaryEvidenceInputs } from "../../canary-evidence";
import { type CanarySources, prometheusMetrics } from "../../../src/canary/sources";

export function localCanarySources(i: CanaryEvidenceInputs): CanarySources {
    const requestLog = i.requestLog;
    if (!requestLog) {
        throw new Error(`judgement of ${i.canary}: neither requestLog nor albLogs is set`);
    }
    return {
        requests: { kind: "live", requestLog, ...(i.appLogs ? { appLogs: i.appLogs } : {}), catchUp: async () => undefined },
        ...prometheusMetrics(i.prometheus),
    };
}
