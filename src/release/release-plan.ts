// What a Release registers beside its fleet, planned from plain values: the migration chain and
// what the schema guard checks each migration against, and which canary is judged against which
// servers. No resources, no Outputs (components/release.ts creates what these return).
import * as path from "node:path";
import type { LiveVersion } from "../migrations/check";
import type { MigrationFile } from "../migrations/folder";
import type { CanaryConfig } from "../canary/config";
import type { JudgeOptions } from "../canary/judge";
import type { AppConfig } from "./app-config";
import type { ReleaseConfig, ReleaseMode } from "./config";
import { canaryBaseline, liveForCheck, type ReleasePlan, withRunning } from "./plan";
import type { MetricCheckConfig } from "../monitors/config";

/** A migration file as the history table records it. */
export interface MigrationRef {
    readonly version: number;
    readonly script: string;
    readonly checksum: string;
}

/** One zdr:postgres:Migration of the chain: its resource name and every input but the connection. */
export interface MigrationStep extends MigrationRef {
    readonly name: string;
    readonly description: string;
    readonly sql: string;
    /** Every earlier file of the chain, validated against the history before this one runs. */
    readonly earlier: readonly MigrationRef[];
    /** What the guard checks this migration against: the schema before it, the live versions, the mode. */
    readonly compatibility: { readonly schema?: string; readonly live: readonly LiveVersion[]; readonly mode: ReleaseMode };
}

/**
 * The versions live while this stage's migrations apply, each with the SQL it runs (`sqlOf`:
 * its query file and what PostgreSQL's log saw it run; undefined = unknown, which the guard
 * counts as using everything). Worked example: stable v1, release v2, canaryCount 1, web-3
 * still running v0 from the last up: v0 (running), v1 (rollback), v2 (release).
 */
export function planLiveVersions(plan: ReleasePlan, release: ReleaseConfig, running: readonly string[], sqlOf: (version: string) => string | undefined): LiveVersion[] {
    return withRunning(liveForCheck(plan, release), running, release).map((l) => ({ ...l, sql: sqlOf(l.version) }));
}

/**
 * The migration chain, in order: each step names the files before it (the history check) and
 * carries the schema they build (the guard's starting point; none for the first file) and the
 * live versions. Worked example: files V1, V2 gives migration-V1 { earlier [], no schema } and
 * migration-V2 { earlier [V1], schema = V1's SQL }.
 */
export function planMigrationChain(files: readonly MigrationFile[], live: readonly LiveVersion[], mode: ReleaseMode): MigrationStep[] {
    return files.map((file, i) => {
        const earlier = files.slice(0, i);
        return {
            name: `migration-V${file.version}`,
            version: file.version,
            description: file.description,
            script: file.script,
            checksum: file.checksum,
            sql: file.sql,
            earlier: earlier.map(({ version, script, checksum }) => ({ version, script, checksum })),
            compatibility: { ...(earlier.length > 0 ? { schema: earlier.map((f) => f.sql).join("\n") } : {}), live, mode },
        };
    });
}

/** A canary's judgement: every zdr:canary:Judgement input that does not come from the target or the deploy. */
export interface JudgementPlan {
    readonly canary: string;
    readonly version: string;
    /** The servers it is compared with (canaryBaseline). */
    readonly baseline: readonly string[];
    readonly bakeSeconds: number;
    readonly judge: JudgeOptions;
    readonly appLogErrorPattern?: string;
    /** The metric checks judged beside the request checks (a target with a Prometheus: the local default). @default - none */
    readonly metricChecks?: readonly MetricCheckConfig[];
    readonly stopWhenInconclusive: boolean;
    readonly keepServingOnFail: boolean;
    /** The team accepted this canary's verdict (acceptVerdicts names its server and version). */
    readonly accepted: boolean;
    /** Where the judgement's JSON report is written. */
    readonly reportFile: string;
}

/**
 * Who is judged against whom: every canary, against the servers on stableVersion that are not
 * canaries; nobody when bakeSeconds is 0 or no server is left on stableVersion. Worked example:
 * [web-1, web-2, web-3], stable v1, release v2, canaryCount 1, bakeSeconds 60: web-1 (v2) against
 * web-2 and web-3, its report in <reportDir>/web-1-v2.json; canaryCount 3: nobody.
 */
export function planJudgements(
    plan: ReleasePlan,
    release: ReleaseConfig,
    canary: CanaryConfig,
    app: Pick<AppConfig, "logs">,
    reportDir: string,
    metricChecks: readonly MetricCheckConfig[] = [],
): ReadonlyMap<string, JudgementPlan> {
    const baseline = canaryBaseline(plan, release);
    if (release.bakeSeconds === 0 || baseline.length === 0) {
        return new Map();
    }
    return new Map(
        plan.servers
            .filter((s) => s.role === "canary")
            .map((server): [string, JudgementPlan] => [server.name, {
                canary: server.name,
                version: server.version,
                baseline,
                bakeSeconds: release.bakeSeconds,
                judge: canary.judge,
                ...(app.logs?.errorPattern ? { appLogErrorPattern: app.logs.errorPattern } : {}),
                ...(metricChecks.length > 0 ? { metricChecks } : {}),
                stopWhenInconclusive: canary.stopWhenInconclusive,
                keepServingOnFail: canary.keepServingOnFail,
                accepted: release.acceptVerdicts[server.name] === server.version,
                reportFile: path.join(reportDir, `${server.name}-${server.version}.json`),
            }]),
    );
}
