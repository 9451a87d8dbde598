// Bad queries are refused at preview, before anything changes, with Prometheus' own parser's
// error: each check's query (filled in for a sample server) becomes a recording rule that
// `promtool check rules` parses offline (Debian's prometheus package ships promtool; no server
// needs to run, so a first preview checks them too).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, namespace } from "../release/config";
import { MetricCheckConfig, renderQuery } from "./config";

/** Throws a ConfigError naming zdr:canaryMetrics (or the default check) and promtool's message for each query it cannot parse. */
export function checkQueries(checks: readonly MetricCheckConfig[], promtool = "promtool"): void {
    if (checks.length === 0) {
        return;
    }
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-promql-"));
    const file = path.join(folder, "rules.yml");
    try {
        const rules = checks.map((c, i) => ({ record: `zdr_check_${i}`, expr: renderQuery(c.query, "web-1", "127.0.0.1:9101", 1700000000) }));
        fs.writeFileSync(file, JSON.stringify({ groups: [{ name: "zdr", rules }] }));
        const run = spawnSync(promtool, ["check", "rules", file], { timeout: 30000, encoding: "utf8" });
        if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
            throw new ConfigError([`${namespace}:canaryMetrics: cannot check the queries: promtool is not installed (Debian's prometheus package; bash scripts/setup installs it)`]);
        }
        if (run.status === 0) {
            return;
        }
        const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
        const problems: string[] = [];
        for (const m of output.matchAll(/"zdr_check_(\d+)": (.*)/g)) {
            const c = checks[Number(m[1])];
            problems.push(`${namespace}:canaryMetrics: the query of "${c.name}" is not valid PromQL: ${m[2].trim()} (query: ${c.query})`);
        }
        throw new ConfigError(problems.length > 0 ? problems : [`${namespace}:canaryMetrics: promtool refused the queries: ${output.trim() || run.error?.message}`]);
    } finally {
        fs.rmSync(folder, { recursive: true, force: true });
    }
}
