// `zdr watch`'s metric checks: the stack's Prometheus and the checks, as the local environment
// wrote them beside Prometheus' configuration (prometheus-config.ts, watchFile), each server's
// instance from its target file (serverTargetsDir), judged as the judgement judges them (a check
// of the canary judge, src/canary/checks/metrics.ts, at its share of the default alpha).
import * as fs from "node:fs";
import * as path from "node:path";
import type { MetricChecksSetup } from "../canary/judge";
import type { MetricCheckConfig } from "./config";
import { serverTargetsDir, watchFile } from "./prometheus-config";

/** Server -> address from the target files in `folder`; a file being written or removed is left out. */
export function readScrapeTargets(folder: string): Record<string, string> {
    const found: Record<string, string> = {};
    let files: string[] = [];
    try {
        files = fs.readdirSync(folder).filter((f) => f.endsWith(".json"));
    } catch {
        return found;
    }
    for (const f of files) {
        try {
            for (const group of JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")) as { targets: string[]; labels?: { server?: string } }[]) {
                if (typeof group.labels?.server === "string" && group.targets.length > 0) {
                    found[group.labels.server] = group.targets[0];
                }
            }
        } catch {
            continue;
        }
    }
    return found;
}

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
