// `zdr watch`'s metric checks: the stack's Prometheus and the checks, as the local environment
// wrote them beside Prometheus' configuration (prometheus-config.ts, watchFile), each server's
// instance from its target file (serverTargetsDir), judged as the judgement judges them (a check
// of the canary judge, src/canary/checks/metrics.ts, at its share of the default alpha).
import * as fs from "node:fs";
import type { MetricChecksSetup } from "../canary/judge";
import type { MetricCheckConfig } from "./config";
import { readScrapeTargets } from "./file-sd";
import { serverTargetsDir, watchFile } from "./prometheus-config";

/** Where the canary's metric checks read, and what; undefined when the stack runs no Prometheus (or has no checks). */
export function watchMetrics(dir: string, canary: string, baseline: readonly string[], from: number): MetricChecksSetup | undefined {
    const file = watchFile(dir);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const w = JSON.parse(fs.readFileSync(file, "utf8")) as { url: string; checks: MetricCheckConfig[] };
    if (w.checks.length === 0) {
        return undefined;
    }
    return { prometheus: { url: w.url, instances: readScrapeTargets(serverTargetsDir(dir)) }, checks: w.checks, canary, baseline, from };
}
