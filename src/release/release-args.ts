// A Release's typed settings (what a team's program passes to `new zdr.Release`), checked by the
// same rules and given the same defaults as zdr's stack config: they are turned into the config
// keys' text and parsed by parseReleaseConfig, parseAppConfig and parseCanaryConfig, and the
// target's by its definition's parser (targets/registry.ts: its `rawOf` gives its keys' text, with
// its checks against the release: a host for every server, HAProxy's log for a judged canary, AWS
// bakes of 300 s or more), so each rule and default is defined once. Pure: no Pulumi.
import { type AppLogConfig, type AppHooks, parseAppConfig, type StopSignal } from "./app-config";
import { canaryKeys, parseCanaryConfig } from "../canary/config";
import type { JudgeOptions } from "../canary/judge";
import { collect, ConfigError, entriesOf, listOf, parseReleaseConfig, type RawConfig, type ReleaseMode, textOf } from "./config";
import { type MetricCheckConfig, parseMetricsConfig } from "../monitors/config";
import type { StackConfig } from "./stack-config";
import { type ReleaseTarget, targetDefinition, targetKinds } from "../../targets/registry";

export type { ReleaseTarget };

/** The application the release runs. */
export interface ReleaseApp {
    /** The load balancer's backend, the prefix of every server's resources, the database's application_name: 1-32 of a-z 0-9 - _. */
    readonly name: string;
    /** argv with `{version}` and `{port}` replaced, run from the project folder; required on the local target. @default - none */
    readonly startCommand?: readonly string[];
    /** @default "SIGTERM" */
    readonly stopSignal?: StopSignal;
    /** How long a stopping server may take before it is killed. @default 30 */
    readonly stopGraceSeconds?: number;
    /** A 2xx answer here is healthy. @default "/health" */
    readonly healthCheckPath?: string;
    /** The database and its user (created on the local target). @default { name: "app", user: "app" } */
    readonly db?: { readonly name: string; readonly user: string };
    /** Where the servers' own log lines are, and which are errors. @default - stdout and stderr locally, the default error pattern */
    readonly logs?: AppLogConfig;
    /** Each server's own Prometheus metrics endpoint (a path on its port), scraped by the local default's Prometheus. @default - not scraped */
    readonly metricsPath?: string;
}

/** The app's schema migrations and what each version runs: the guard checks every migration against the live versions' SQL. */
export interface ReleaseMigrations {
    /** Folder of V<n>__<description>.sql files. */
    readonly dir: string;
    /** Version -> the migration n it needs (V1..Vn applied before it runs). @default - no version needs one */
    readonly schemaVersions?: Readonly<Record<string, number>>;
    /** Folder of <version>.sql: the SQL each version runs. @default - only what PostgreSQL's log saw each version run */
    readonly queriesDir?: string;
}

/** The canary judgement (docs/canary.md). */
export interface ReleaseCanary {
    /** Longest wait for a verdict after a canary's reattach; 0 judges nobody. @default 0 */
    readonly bakeSeconds?: number;
    /** Verdicts the team accepted, server -> version: that canary is not judged. @default - none */
    readonly acceptVerdicts?: Readonly<Record<string, string>>;
    /** The judge's tolerances and rates. @default - the judge's defaults (src/canary/config.ts) */
    readonly judge?: Partial<JudgeOptions>;
    /** Stop the `up` on an inconclusive verdict too. @default false */
    readonly stopWhenInconclusive?: boolean;
    /** Keep a failing canary in the load balancer, to watch it longer. @default false */
    readonly keepServingOnFail?: boolean;
    /** The team's metric checks (PromQL with {server}/{instance}), judged beside the request checks on the local default (docs/canary.md, "Metric checks"). @default - none */
    readonly metrics?: readonly MetricCheckConfig[];
    /** Judge CPU seconds per request and resident memory besides `metrics`. @default true */
    readonly defaultMetrics?: boolean;
}

/** Everything a Release is told but its secrets. */
export interface ReleaseSettings {
    /** Server names in release order: 1-32 of a-z 0-9 -, starting with a letter. */
    readonly servers: readonly string[];
    /** The version every server runs unless it is a canary or pinned. */
    readonly stableVersion: string;
    /** The version being released. @default - stableVersion (no release) */
    readonly releaseVersion?: string;
    /** How many servers, from the first, run releaseVersion. @default 0 */
    readonly canaryCount?: number;
    /** Per-server versions, e.g. to roll one server back. @default - none */
    readonly pins?: Readonly<Record<string, string>>;
    /** "all-at-once" stops every server for a release that breaks compatibility. @default "staged" */
    readonly releaseMode?: ReleaseMode;
    /** How many servers move at once, a count or a share ("25%"), and how many stay. @default - one at a time, no floor */
    readonly batches?: { readonly maxUnavailable?: number | string; readonly minHealthy?: number | string };
    /** @default 30 */
    readonly drainTimeoutSeconds?: number;
    /** @default 1000 */
    readonly healthCheckIntervalMs?: number;
    /** @default 60 */
    readonly healthTimeoutSeconds?: number;
    readonly app: ReleaseApp;
    /** @default - the app has no migrations (and needs no database keys off the local target) */
    readonly migrations?: ReleaseMigrations;
    /** The team's checks around each server's reattach (argv; `{server}`, `{version}`, `{port}` replaced). @default - none */
    readonly hooks?: Partial<AppHooks>;
    /** @default - no judgement */
    readonly canary?: ReleaseCanary;
    readonly target: ReleaseTarget;
}

/** Each setting's config key, for messages: `zdr:canaryCount` is told as `canaryCount`. */
const settingOfKey: Readonly<Record<string, string>> = {
    appName: "app.name", startCommand: "app.startCommand", stopSignal: "app.stopSignal", stopGraceSeconds: "app.stopGraceSeconds",
    healthCheckPath: "app.healthCheckPath", dbName: "app.db.name", dbUser: "app.db.user", appLogErrorPattern: "app.logs.errorPattern",
    appLogFile: "app.logs.file", appLogUnit: "app.logs.unit", appLogGroup: "app.logs.group", appLogStream: "app.logs.stream",
    migrationsDir: "migrations.dir", schemaVersions: "migrations.schemaVersions", queriesDir: "migrations.queriesDir",
    beforeAllowTraffic: "hooks.beforeAllowTraffic", afterAllowTraffic: "hooks.afterAllowTraffic", hookTimeoutSeconds: "hooks.timeoutSeconds",
    maxUnavailable: "batches.maxUnavailable", minHealthy: "batches.minHealthy",
    bakeSeconds: "canary.bakeSeconds", acceptVerdicts: "canary.acceptVerdicts",
    canaryStopWhenInconclusive: "canary.stopWhenInconclusive", canaryKeepServingOnFail: "canary.keepServingOnFail",
    metricsPath: "app.metricsPath", canaryMetrics: "canary.metrics", canaryDefaultMetrics: "canary.defaultMetrics",
    ...Object.fromEntries(canaryKeys.map((k) => [k.key, `canary.judge.${k.option}`])),
};

const text = textOf;
const list = listOf;
const entries = entriesOf;

/** The settings but the target's as the config keys' text (what `pulumi.Config` would hand over); the target's keys are its definition's `rawOf`. */
export function rawOf(s: ReleaseSettings): RawConfig {
    const t = s.target;
    const raw: Record<string, string | undefined> = {
        target: t.kind,
        servers: list(s.servers), stableVersion: s.stableVersion, releaseVersion: s.releaseVersion, canaryCount: text(s.canaryCount),
        pins: entries(s.pins), releaseMode: s.releaseMode,
        maxUnavailable: text(s.batches?.maxUnavailable), minHealthy: text(s.batches?.minHealthy),
        drainTimeoutSeconds: text(s.drainTimeoutSeconds), healthCheckIntervalMs: text(s.healthCheckIntervalMs), healthTimeoutSeconds: text(s.healthTimeoutSeconds),
        appName: s.app.name, startCommand: list(s.app.startCommand), stopSignal: s.app.stopSignal, stopGraceSeconds: text(s.app.stopGraceSeconds),
        healthCheckPath: s.app.healthCheckPath, dbName: s.app.db?.name, dbUser: s.app.db?.user,
        appLogErrorPattern: s.app.logs?.errorPattern, appLogFile: s.app.logs?.file, appLogUnit: s.app.logs?.unit, appLogGroup: s.app.logs?.group, appLogStream: s.app.logs?.stream,
        metricsPath: s.app.metricsPath,
        migrationsDir: s.migrations?.dir, schemaVersions: entries(s.migrations?.schemaVersions), queriesDir: s.migrations?.queriesDir,
        beforeAllowTraffic: list(s.hooks?.beforeAllowTraffic), afterAllowTraffic: list(s.hooks?.afterAllowTraffic), hookTimeoutSeconds: text(s.hooks?.timeoutSeconds),
        bakeSeconds: text(s.canary?.bakeSeconds), acceptVerdicts: entries(s.canary?.acceptVerdicts),
        canaryStopWhenInconclusive: text(s.canary?.stopWhenInconclusive), canaryKeepServingOnFail: text(s.canary?.keepServingOnFail),
        canaryMetrics: list(s.canary?.metrics), canaryDefaultMetrics: text(s.canary?.defaultMetrics),
        ...Object.fromEntries(canaryKeys.map((k) => [k.key, text(s.canary?.judge?.[k.option] as number | undefined)])),
    };
    return raw;
}

/**
 * What the settings' check is told of a Release's secrets, which are Pulumi Inputs: whether a
 * database password is given; and of the SSH key, its text when the program gave a plain string,
 * "output" when it gave an Output or a promise (components/release.ts checks its form once its
 * value is known), "none" when it gave none.
 */
export interface SecretsGiven {
    readonly dbPassword: boolean;
    readonly sshPrivateKey: { readonly text: string } | "output" | "none";
}

/**
 * Checks the settings and applies their defaults: the stack config they stand for. Every problem
 * at once, each naming its setting (`app.startCommand: required on the local target ...`).
 * A hosts or AWS target is checked as its keys would be, against the release (a host or instance for
 * every server, HAProxy's log for a judged canary on hosts, bakes of 300 s or more on AWS) and with
 * the SSH key its target logs in with; its messages name the field (`target.hosts.hosts: ...`).
 */
export function stackConfigOf(settings: ReleaseSettings, resolvePath: (p: string) => string, secrets: SecretsGiven): StackConfig {
    const raw = rawOf(settings);
    const kind = settings.target.kind;
    const problems: string[] = [];
    const release = collect(problems, () => parseReleaseConfig(raw));
    const app = collect(problems, () => parseAppConfig(raw, kind, resolvePath));
    const canary = collect(problems, () => parseCanaryConfig(raw));
    const definition = targetDefinition(kind);
    if (!definition) {
        throw new ConfigError([`target.kind: must be one of ${targetKinds.map((k) => JSON.stringify(k)).join(", ")}; got ${JSON.stringify(kind)}`]);
    }
    const metrics = collect(problems, () => parseMetricsConfig(raw, definition.metricDefaults));
    // the target's keys are parsed as its stack config's would be, with the SSH key it logs in with (if any)
    const key = secrets.sshPrivateKey;
    const targetRaw: RawConfig = { ...raw, ...definition.rawOf(settings.target), sshPrivateKey: typeof key === "object" ? key.text : undefined };
    const target = release && collect(problems, () => definition.parse(targetRaw, release, { keyCheck: key === "output" ? "when resolved" : "now" }));
    if ((definition.ownsDatabase || settings.migrations) && !secrets.dbPassword) {
        problems.push(`dbPassword: required ${definition.ownsDatabase ? `on the ${kind} target (its PostgreSQL is initialised with it)` : "with migrations (they log in with it)"}; pass a Pulumi secret`);
    }
    const settingOf = { ...settingOfKey, ...definition.settingOfKey };
    const named = problems.map((p) => p.replace(/^zdr:(\w+):/, (_, key: string) => `${settingOf[key] ?? key}:`));
    if (named.length > 0 || !release || !app || !target || !canary || !metrics) {
        throw new ConfigError(named);
    }
    return { release, app, target, canary, metrics };
}

/** The settings a parsed stack config stands for: zdr's own program passes its stack's config to a Release this way. */
export function settingsOf(stack: StackConfig): ReleaseSettings {
    const { release: r, app: a, target: t, canary: c, metrics: m } = stack;
    return {
        servers: r.servers, stableVersion: r.stableVersion, releaseVersion: r.releaseVersion, canaryCount: r.canaryCount, pins: r.pins, releaseMode: r.releaseMode,
        batches: { maxUnavailable: r.maxUnavailable, minHealthy: r.minHealthy },
        drainTimeoutSeconds: r.drainTimeoutSeconds, healthCheckIntervalMs: r.healthCheckIntervalMs, healthTimeoutSeconds: r.healthTimeoutSeconds,
        app: { name: a.name, startCommand: a.startCommand, stopSignal: a.stopSignal, stopGraceSeconds: a.stopGraceSeconds, healthCheckPath: a.healthCheckPath, db: a.db, ...(a.logs ? { logs: a.logs } : {}), ...(a.metricsPath ? { metricsPath: a.metricsPath } : {}) },
        ...(a.migrationsDir ? { migrations: { dir: a.migrationsDir, schemaVersions: a.schemaVersions, ...(a.queriesDir ? { queriesDir: a.queriesDir } : {}) } } : {}),
        ...(a.hooks ? { hooks: a.hooks } : {}),
        canary: { bakeSeconds: r.bakeSeconds, acceptVerdicts: r.acceptVerdicts, judge: c.judge, stopWhenInconclusive: c.stopWhenInconclusive, keepServingOnFail: c.keepServingOnFail, metrics: m.checks, defaultMetrics: false },
        target: targetDefinition(t.kind)!.settingsOf(t),
    };
}
