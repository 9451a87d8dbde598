// The application a stack releases: how a version starts, stops and answers health checks, its
// migrations and the SQL each version runs. Nothing here knows any particular app: the project's
// sample app is one configuration of these keys (Pulumi.local.yaml).
import { ConfigError, json, namespace, type NumberKey, RawConfig, readNumber, versionName } from "./config";
import { errorPattern } from "../canary/log-level";
import { stopSignals, type StopSignal } from "../../contract/process";

export { stopSignals, type StopSignal };

export interface AppConfig {
    /** The load balancer's backend, the prefix of every server's resources, the database's application_name. */
    readonly name: string;
    /** Local target: argv with `{version}` and `{port}` placeholders, run from the project folder. */
    readonly startCommand: readonly string[];
    readonly stopSignal: StopSignal;
    readonly stopGraceSeconds: number;
    /** Starts with /; 2xx is healthy. */
    readonly healthCheckPath: string;
    /** Folder of V<n>__<description>.sql files (absolute); undefined when the app has none. */
    readonly migrationsDir?: string;
    /** Version -> the migration number it needs (V<n> applied before it runs). */
    readonly schemaVersions: Readonly<Record<string, number>>;
    /** Folder of <version>.sql (absolute); undefined when not given. */
    readonly queriesDir?: string;
    readonly db: { readonly name: string; readonly user: string };
    /** The team's own checks around each server's reattach (on this machine locally, over SSH on hosts and AWS). @default - none */
    readonly hooks?: AppHooks;
    /** Where the servers' own log lines are, and which are errors (the canary's new-error signatures). @default - stdout and stderr (local default), the default error pattern */
    readonly logs?: AppLogConfig;
    /** Each server's own Prometheus metrics endpoint (a path on its port): the stack's Prometheus scrapes it, labelled server="<name>". @default - not scraped */
    readonly metricsPath?: string;
}

/**
 * The app's own log, read by the canary judge (src/canary/app-log.ts): on the local default each
 * server's stdout and stderr, always; on the hosts target a file or a journald unit on each
 * server's host, when set.
 */
export interface AppLogConfig {
    /** Hosts target: the log file on each server's host, an absolute path; `{server}` and `{version}` replaced. @default - not read */
    readonly file?: string;
    /** Hosts target: the systemd unit whose journal holds the app's lines; `{server}` and `{version}` replaced. @default - not read */
    readonly unit?: string;
    /** AWS target: the CloudWatch Logs group of the app's lines. @default - not read */
    readonly group?: string;
    /** AWS target: each server's stream in the group; `{server}` and `{instanceId}` replaced. @default "{instanceId}" (the CloudWatch agent's default) */
    readonly stream?: string;
    /**
     * A regular expression (case-insensitive) that makes a log line without a level an error line.
     * @default - an error or exception word, panic, traceback, failed (src/canary/log-level.ts)
     */
    readonly errorPattern?: string;
}

/**
 * Commands run on the target for each server that (re)enters the load balancer, as argv with
 * `{server}`, `{version}` and `{port}` replaced. Empty lists run nothing.
 */
export interface AppHooks {
    /** After the deploy, before the reattach: failing keeps the server out and stops the up. */
    readonly beforeAllowTraffic: readonly string[];
    /** After the reattach: failing drains the server out again and stops the up. */
    readonly afterAllowTraffic: readonly string[];
    /** Longest run of one hook; beyond it the hook is killed and counts as failed. */
    readonly timeoutSeconds: number;
}

/** The keys of the application definition, declared in Pulumi.yaml. */
export const appKeys = [
    "appName", "startCommand", "stopSignal", "stopGraceSeconds", "healthCheckPath", "migrationsDir", "schemaVersions", "queriesDir", "dbName", "dbUser",
    "beforeAllowTraffic", "afterAllowTraffic", "hookTimeoutSeconds", "appLogErrorPattern", "appLogFile", "appLogUnit", "appLogGroup", "appLogStream", "metricsPath",
] as const;

const appName = /^[a-z][a-z0-9_-]{0,31}$/;
const dbIdentifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Validates the application keys. Paths are resolved against `projectDir` (where Pulumi.yaml is).
 * Worked example: startCommand [node, server.js], migrationsDir db/migrations, schemaVersions
 * [v1=1, v2=2, v3=3]: before the first server runs v3, migrations V1..V3 are applied.
 * @param target "local" needs startCommand; the other targets start versions with their own commands.
 */
/** The app's numeric keys (every target reads them). */
export const appNumberKeys = {
    stopGraceSeconds: { key: "stopGraceSeconds", fallback: 30, min: 1, max: 3600, meaning: "how long a stopped server may finish its requests before it is killed" },
    hookTimeoutSeconds: { key: "hookTimeoutSeconds", fallback: 60, min: 1, max: 3600, meaning: "the longest run of a hook" },
} as const satisfies Record<string, NumberKey>;

export function parseAppConfig(raw: RawConfig, target: string, resolvePath: (p: string) => string): AppConfig {
    const problems: string[] = [];
    const name = raw.appName || "app";
    if (!appName.test(name)) {
        problems.push(`${namespace}:appName: must be 1-32 lower-case letters, digits, - or _, starting with a letter; got ${JSON.stringify(name)}`);
    }

    const startRaw = json("startCommand", raw.startCommand || undefined, problems) ?? [];
    const startCommand = Array.isArray(startRaw) && startRaw.every((s) => typeof s === "string") ? (startRaw as string[]) : [];
    if (!Array.isArray(startRaw) || startCommand.length !== startRaw.length) {
        problems.push(`${namespace}:startCommand: must be a list of strings (argv); got ${raw.startCommand}`);
    } else if (target === "local" && (startCommand.length === 0 || startCommand[0] === "")) {
        problems.push(`${namespace}:startCommand: required on the local target: how a version starts, as argv, e.g. [node, server.js, --port, "{port}"] ({version} and {port} are replaced)`);
    }

    const stopSignal = (raw.stopSignal || "SIGTERM") as StopSignal;
    if (!stopSignals.includes(stopSignal)) {
        problems.push(`${namespace}:stopSignal: must be one of ${stopSignals.join(", ")}; got ${JSON.stringify(raw.stopSignal)}`);
    }
    const stopGraceSeconds = readNumber(raw, appNumberKeys.stopGraceSeconds, problems);

    const healthCheckPath = raw.healthCheckPath || "/health";
    if (!/^\/[\x21-\x7e]*$/.test(healthCheckPath)) {
        problems.push(`${namespace}:healthCheckPath: must be a URL path starting with / (no spaces); got ${JSON.stringify(healthCheckPath)}`);
    }

    const migrationsDir = raw.migrationsDir ? resolvePath(raw.migrationsDir) : undefined;
    const queriesDir = raw.queriesDir ? resolvePath(raw.queriesDir) : undefined;

    const schemaVersions: Record<string, number> = {};
    const sv = json("schemaVersions", raw.schemaVersions || undefined, problems) ?? [];
    if (!Array.isArray(sv)) {
        problems.push(`${namespace}:schemaVersions: must be a list of "version=n" entries; got ${raw.schemaVersions}`);
    } else {
        for (const entry of sv) {
            const m = /^([^=\s]+)=(\d{1,9})$/.exec(String(entry));
            if (!m || !versionName.test(m[1]) || Number(m[2]) < 1) {
                problems.push(`${namespace}:schemaVersions: ${JSON.stringify(entry)} is not "version=n" (a version name and the number n >= 1 of the migration V<n> it needs)`);
            } else if (schemaVersions[m[1]] !== undefined) {
                problems.push(`${namespace}:schemaVersions: ${m[1]} is listed twice`);
            } else {
                schemaVersions[m[1]] = Number(m[2]);
            }
        }
        if (sv.length > 0 && !migrationsDir) {
            problems.push(`${namespace}:schemaVersions: needs ${namespace}:migrationsDir, the folder of the migrations it names`);
        }
    }

    const db = { name: raw.dbName || "app", user: raw.dbUser || "app" };
    for (const [key, v] of [["dbName", db.name], ["dbUser", db.user]] as const) {
        if (!dbIdentifier.test(v)) {
            problems.push(`${namespace}:${key}: must be a PostgreSQL identifier of lower-case letters, digits and _ (at most 63); got ${JSON.stringify(v)}`);
        }
    }
    const hook = (key: "beforeAllowTraffic" | "afterAllowTraffic"): string[] => {
        const value = json(key, raw[key] || undefined, problems) ?? [];
        if (!Array.isArray(value) || !value.every((a) => typeof a === "string") || (value.length > 0 && value[0] === "")) {
            problems.push(`${namespace}:${key}: must be a list of strings (argv; {server}, {version} and {port} are replaced), or empty for none; got ${raw[key]}`);
            return [];
        }
        return value as string[];
    };
    const beforeAllowTraffic = hook("beforeAllowTraffic");
    const afterAllowTraffic = hook("afterAllowTraffic");
    const timeoutSeconds = readNumber(raw, appNumberKeys.hookTimeoutSeconds, problems);
    const logs = parseAppLogConfig(raw, target, problems);
    const metricsPath = raw.metricsPath || undefined;
    if (metricsPath !== undefined && !/^\/[\x21-\x7e]*$/.test(metricsPath)) {
        problems.push(`${namespace}:metricsPath: must be a URL path starting with / (no spaces), where each server answers Prometheus' text format, e.g. /metrics; got ${JSON.stringify(metricsPath)}`);
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { name, startCommand, stopSignal, stopGraceSeconds, healthCheckPath, migrationsDir, schemaVersions, queriesDir, db, hooks: { beforeAllowTraffic, afterAllowTraffic, timeoutSeconds }, logs, ...(metricsPath ? { metricsPath } : {}) };
}

const otherPlaceholder = /\{(?!server\}|version\})[^}]*\}/;

function parseAppLogConfig(raw: RawConfig, target: string, problems: string[]): AppLogConfig {
    const errorPatternText = raw.appLogErrorPattern || undefined;
    try {
        errorPattern(errorPatternText, `${namespace}:appLogErrorPattern`);
    } catch (e) {
        problems.push((e as Error).message);
    }
    const file = raw.appLogFile || undefined;
    const unit = raw.appLogUnit || undefined;
    for (const [key, value, allowed, meaning] of [
        ["appLogFile", file, /^\/[\x21-\x7e]{1,4095}$/, "the absolute path of the app's log file on each server's host (no spaces; {server} and {version} are replaced), e.g. /var/log/shop/{server}.log"],
        ["appLogUnit", unit, /^[A-Za-z0-9:_.@\\{}-]{1,256}$/, "the systemd unit whose journal holds the app's lines on each server's host ({server} and {version} are replaced), e.g. shop.service or shop@{server}.service"],
    ] as const) {
        if (value === undefined) {
            continue;
        }
        if (target !== "hosts") {
            problems.push(`${namespace}:${key}: read on the hosts target only (the local default reads each server's stdout and stderr; on AWS set appLogGroup); remove it for the ${target} target`);
        } else if (!allowed.test(value) || otherPlaceholder.test(value)) {
            problems.push(`${namespace}:${key}: must be ${meaning}; got ${JSON.stringify(value)}`);
        }
    }
    if (file !== undefined && unit !== undefined) {
        problems.push(`${namespace}:appLogUnit: set appLogFile or appLogUnit, not both: where the app's lines are on a host, a file or a journald unit`);
    }
    const group = raw.appLogGroup || undefined;
    const stream = raw.appLogStream || undefined;
    if (group !== undefined) {
        if (target !== "aws") {
            problems.push(`${namespace}:appLogGroup: read on the AWS target only (CloudWatch Logs); on the hosts target set appLogFile or appLogUnit; remove it for the ${target} target`);
        } else if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(group)) {
            problems.push(`${namespace}:appLogGroup: must be a CloudWatch Logs group name (1-512 of letters, digits, _ - / . #), e.g. /shop/app; got ${JSON.stringify(group)}`);
        }
    }
    if (stream !== undefined) {
        if (group === undefined) {
            problems.push(`${namespace}:appLogStream: needs ${namespace}:appLogGroup, the group its streams are in`);
        } else if (!/^[^:*]{1,512}$/.test(stream) || /\{(?!server\}|instanceId\})[^}]*\}/.test(stream)) {
            problems.push(`${namespace}:appLogStream: must be a log stream name (no : or *; {server} and {instanceId} are replaced), e.g. {instanceId} or shop-{server}; got ${JSON.stringify(stream)}`);
        }
    }
    return {
        ...(file ? { file } : {}), ...(unit ? { unit } : {}),
        ...(group ? { group, stream: stream ?? "{instanceId}" } : {}),
        ...(errorPatternText ? { errorPattern: errorPatternText } : {}),
    };
}

/** argv of a hook for one server: `{server}`, `{version}` and `{port}` replaced in every element. */
export function hookArgv(command: readonly string[], server: string, version: string, port: number): string[] {
    return startArgv(command, version, port).map((a) => a.split("{server}").join(server));
}

/** argv of a version: `{version}` and `{port}` replaced in every element. */
export function startArgv(command: readonly string[], version: string, port: number): string[] {
    return command.map((a) => a.split("{version}").join(version).split("{port}").join(String(port)));
}
