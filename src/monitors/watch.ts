// `zdr watch`'s metric checks: the stack's Prometheus and the checks, as the local environment
// wrote them beside Prometheus' configuration (prometheus-config.ts, watchFile), each server's
// instance from its target file (serverTargetsDir), judged as the judgement judges them (the same
// share of the default alpha).
import * as fs from "node:fs";
import { defaultAlpha, failWeights } from "../canary/judge";
import type { MetricCheckConfig } from "./config";
import { readScrapeTargets } from "./file-sd";
import { MetricJudge } from "./metric-judge";
import { serverTargetsDir, watchFile } from "./prometheus-config";

/** A MetricJudge for the canary, or undefined when the stack runs no Prometheus (or has no checks). */
export function watchMetrics(dir: string, canary: string, baseline: readonly string[], from: number): MetricJudge | undefined {
    const file = watchFile(dir);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const w = JSON.parse(fs.readFileSync(file, "utf8")) as { url: string; checks: MetricCheckConfig[] };
    if (w.checks.length === 0) {
        return undefined;
    }
    return new MetricJudge({ prometheus: { url: w.url, instances: readScrapeTargets(serverTargetsDir(dir)) }, checks: w.checks, canary, baseline, from, alpha: defaultAlpha * failWeights.metrics });
}
