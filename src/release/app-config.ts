// The application a stack releases: how a version starts, stops and answers health checks, its
// migrations and the SQL each version runs. Nothing here knows any particular app: the project's
// sample app is one configuration of these keys (Pulumi.local.yaml).
import { type ConfigKey, ConfigError, type StringKey, namespace, type NumberKey, RawConfig, readEnum, readList, readNumber, readString, versionName } from "./config";
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

const appName = /^[a-z][a-z0-9_-]{0,31}$/;
const dbIdentifier = /^[a-z_][a-z0-9_]{0,62}$/;
const urlPath = /^\/[\x21-\x7e]*$/;
const dbIdentifierAllowed = "a PostgreSQL identifier of lower-case letters, digits and _ (at most 63)";
const hookAllowed = "a list of strings (argv; {server}, {version} and {port} are replaced), or empty for none";

/** The app's numeric keys (every target reads them). */
export const appNumberKeys = {
    stopGraceSeconds: {
        key: "stopGraceSeconds", fallback: 30, min: 1, max: 3600, meaning: "how long a stopped server may finish its requests before it is killed",
        description:
            "Local target. How long a stopping version may take to finish its in-flight work after stopSignal " +
            "(1-3600).",
    },
    hookTimeoutSeconds: {
        key: "hookTimeoutSeconds", fallback: 60, min: 1, max: 3600, meaning: "the longest run of a hook",
        description: "Longest run of one hook (1-3600); beyond it the hook is killed and counts as failed.",
    },
} as const satisfies Record<string, NumberKey>;

/** The app's other keys (every target reads them; the app-log ones are refused on the targets that have no use for them). */
export const appKeyRows = {
    appName: {
        key: "appName", type: "string", fallback: "app", pattern: appName, allowed: "1-32 lower-case letters, digits, - or _, starting with a letter",
        description:
            "The application's name (lower-case letters, digits, - and _): the load balancer's backend on " +
            "HAProxy, the prefix of every server's resources and of the database's application_name.",
    },
    startCommand: {
        key: "startCommand", type: "list", items: "string", allowed: "a list of strings (argv)",
        description:
            "Local target, required there. How a version starts, as argv (no shell), run from the project folder; " +
            "\"{version}\" and \"{port}\" in any element are replaced. The process also gets PORT and APP_VERSION, " +
            "and the database as PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGAPPNAME. It must listen on " +
            "127.0.0.1:PORT.",
    },
    stopSignal: {
        key: "stopSignal", type: "enum", values: stopSignals, fallback: "SIGTERM",
        description:
            "Local target. The signal that asks a version to stop gracefully (SIGTERM, SIGINT, SIGQUIT, SIGHUP, " +
            "SIGUSR1, SIGUSR2); SIGKILL follows after stopGraceSeconds.",
    },
    healthCheckPath: {
        key: "healthCheckPath", type: "string", fallback: "/health", pattern: urlPath, allowed: "a URL path starting with / (no spaces)",
        description:
            "The app's health-check path (starts with /); 2xx means healthy. Polled after a deploy and by the " +
            "load balancer.",
    },
    migrationsDir: {
        key: "migrationsDir", type: "string", fallback: "", allowed: "a folder relative to the project folder",
        description:
            "Folder of the database migrations in Flyway's layout, V<n>__<description>.sql (n a positive integer, " +
            "applied in order of n), relative to the project folder. Empty means the app has no migrations.",
    },
    schemaVersions: {
        key: "schemaVersions", type: "list", items: "string", allowed: 'a list of "version=n" entries',
        description:
            "Which migrations each app version needs, as \"version=n\": that version runs on the schema after V<n>, " +
            "e.g. [v1=1, v2=2]. Before the first server gets a version, every migration up to its n is applied. A " +
            "version not listed needs none beyond what is applied.",
    },
    queriesDir: {
        key: "queriesDir", type: "string", fallback: "", allowed: "a folder relative to the project folder",
        description:
            "Folder with <version>.sql per app version: the SQL that version runs, which the schema-compatibility " +
            "policy checks every migration against. Empty, or a version without a file: that version's use is " +
            "unknown.",
    },
    dbName: {
        key: "dbName", type: "string", fallback: "app", pattern: dbIdentifier, allowed: dbIdentifierAllowed,
        description: "The app's database. The local default creates it; on AWS it must exist.",
    },
    dbUser: {
        key: "dbUser", type: "string", fallback: "app", pattern: dbIdentifier, allowed: dbIdentifierAllowed,
        description:
            "The database user of the app and the migrations; its password is dbPassword. The local default " +
            "creates it.",
    },
    beforeAllowTraffic: {
        key: "beforeAllowTraffic", type: "list", items: "string", allowed: hookAllowed,
        description:
            "A command (argv; {server}, {version} and {port} replaced) run for each server after its deploy and " +
            "before it enters the load balancer, e.g. a smoke test against the new version. A non-zero exit or " +
            "running past hookTimeoutSeconds keeps the server out and stops the up, with the hook's output in the " +
            "error. Local target (from the project folder) and hosts target (on the server's host, over SSH). " +
            "Empty: none.",
    },
    afterAllowTraffic: {
        key: "afterAllowTraffic", type: "list", items: "string", allowed: hookAllowed,
        description:
            "A command (argv, as beforeAllowTraffic) run for each server once it is back in the load balancer. " +
            "Failing drains the server out again and stops the up. Local and hosts targets. Empty: none.",
    },
    appLogErrorPattern: {
        key: "appLogErrorPattern", type: "string", fallback: "", allowed: "a regular expression (JavaScript syntax)",
        description:
            "A regular expression (JavaScript syntax, case-insensitive) that makes a line of the app's own log an " +
            "error line when the line states no level of its own (a line with a level, e.g. JSON \"level\", " +
            "journald's PRIORITY, logfmt level=, a leading ERROR, is an error at error level or worse). Empty: an " +
            "error or exception word, panic, traceback, failed. Error lines the stable servers did not log fail a " +
            "canary (docs/canary.md).",
    },
    appLogFile: {
        key: "appLogFile", type: "string", fallback: "", pattern: /^\/[\x21-\x7e]{1,4095}$/,
        description:
            "Hosts target: the app's log file on each server's host, an absolute path with {server} and {version} " +
            "replaced, e.g. /var/log/shop/{server}.log. The canary judge reads the canary's and the stable " +
            "servers' new lines over SSH every second of the bake (following the operator's logrotate by inode " +
            "and size); an error template only the canary logs fails it. Empty: not read (the local default " +
            "always reads each server's stdout and stderr). Set this or appLogUnit.",
        allowed: "the absolute path of the app's log file on each server's host (no spaces; {server} and {version} are replaced), e.g. /var/log/shop/{server}.log",
    },
    appLogUnit: {
        key: "appLogUnit", type: "string", fallback: "", pattern: /^[A-Za-z0-9:_.@\\{}-]{1,256}$/,
        description:
            "Hosts target: the systemd unit whose journal holds the app's lines on each server's host ({server} " +
            "and {version} replaced), e.g. shop.service; read with journalctl -u over SSH after the last entry's " +
            "cursor, PRIORITY 3 or lower an error. sshUser must be allowed to read the journal. Empty: not read. " +
            "Set this or appLogFile.",
        allowed: "the systemd unit whose journal holds the app's lines on each server's host ({server} and {version} are replaced), e.g. shop.service or shop@{server}.service",
    },
    appLogGroup: {
        key: "appLogGroup", type: "string", fallback: "", pattern: /^[.\-_/#A-Za-z0-9]{1,512}$/, allowed: "a CloudWatch Logs group name (1-512 of letters, digits, _ - / . #), e.g. /shop/app",
        description:
            "AWS target: the CloudWatch Logs group of the app's lines (e.g. /shop/app, written by the CloudWatch " +
            "agent on each instance). The canary judge reads the canary's and the stable servers' streams for the " +
            "bake's window with the ALB's logs (FilterLogEvents, paged and bounded); an error template only the " +
            "canary logs fails it. Empty: not read.",
    },
    appLogStream: {
        key: "appLogStream", type: "string", fallback: "", pattern: /^(?!.*\{(?!server\}|instanceId\})[^}]*\})[^:*]{1,512}$/,
        description:
            "AWS target: each server's stream in appLogGroup, {server} and {instanceId} replaced. Empty: " +
            "{instanceId} (the CloudWatch agent's default stream name).",
        allowed: "a log stream name (no : or *; {server} and {instanceId} are replaced), e.g. {instanceId} or shop-{server}",
    },
    metricsPath: {
        key: "metricsPath", type: "string", fallback: "", pattern: urlPath, allowed: "a URL path starting with / (no spaces), where each server answers Prometheus' text format, e.g. /metrics",
        description:
            "Local default. Each server's own Prometheus metrics endpoint (a path on its port), scraped by the " +
            "stack's Prometheus with the label server=\"<name>\" for canaryMetrics' queries. Empty: not scraped.",
    },
} as const satisfies Record<string, ConfigKey>;

/** The app's keys as rows of the config table. */
export const appRows: readonly ConfigKey[] = [...Object.values(appKeyRows), ...Object.values(appNumberKeys)];

/** The keys of the application definition, declared in Pulumi.yaml. */
export const appKeys: readonly string[] = appRows.map((k) => k.key);

/**
 * Validates the application keys. Paths are resolved against `projectDir` (where Pulumi.yaml is).
 * Worked example: startCommand [node, server.js], migrationsDir db/migrations, schemaVersions
 * [v1=1, v2=2, v3=3]: before the first server runs v3, migrations V1..V3 are applied.
 * @param target "local" needs startCommand; the other targets start versions with their own commands.
 */
export function parseAppConfig(raw: RawConfig, target: string, resolvePath: (p: string) => string): AppConfig {
    const problems: string[] = [];
    const k = appKeyRows;
    const name = readString(raw, k.appName, problems);
    const startCommand = readList(raw, k.startCommand, problems) ?? [];
    if (target === "local" && (startCommand.length === 0 || startCommand[0] === "") && !problems.some((p) => p.startsWith(`${namespace}:startCommand:`))) {
        problems.push(`${namespace}:startCommand: required on the local target: how a version starts, as argv, e.g. [node, server.js, --port, "{port}"] ({version} and {port} are replaced)`);
    }
    const stopSignal = readEnum(raw, k.stopSignal, problems);
    const stopGraceSeconds = readNumber(raw, appNumberKeys.stopGraceSeconds, problems);
    const healthCheckPath = readString(raw, k.healthCheckPath, problems);

    const migrationsText = readString(raw, k.migrationsDir, problems);
    const queriesText = readString(raw, k.queriesDir, problems);
    const migrationsDir = migrationsText ? resolvePath(migrationsText) : undefined;
    const queriesDir = queriesText ? resolvePath(queriesText) : undefined;

    const schemaVersions: Record<string, number> = {};
    const sv = readList(raw, k.schemaVersions, problems) ?? [];
    for (const entry of sv) {
        const m = /^([^=\s]+)=(\d{1,9})$/.exec(entry);
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

    const db = { name: readString(raw, k.dbName, problems), user: readString(raw, k.dbUser, problems) };
    const hook = (row: typeof k.beforeAllowTraffic | typeof k.afterAllowTraffic): string[] => {
        const value = readList(raw, row, problems) ?? [];
        if (value.length > 0 && value[0] === "") {
            problems.push(`${namespace}:${row.key}: must be ${row.allowed}; got ${JSON.stringify(value)}`);
            return [];
        }
        return value;
    };
    const beforeAllowTraffic = hook(k.beforeAllowTraffic);
    const afterAllowTraffic = hook(k.afterAllowTraffic);
    const timeoutSeconds = readNumber(raw, appNumberKeys.hookTimeoutSeconds, problems);
    const logs = parseAppLogConfig(raw, target, problems);
    const metricsPath = readString(raw, k.metricsPath, problems) || undefined;
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { name, startCommand, stopSignal, stopGraceSeconds, healthCheckPath, migrationsDir, schemaVersions, queriesDir, db, hooks: { beforeAllowTraffic, afterAllowTraffic, timeoutSeconds }, logs, ...(metricsPath ? { metricsPath } : {}) };
}

const otherPlaceholder = /\{(?!server\}|version\})[^}]*\}/;

function parseAppLogConfig(raw: RawConfig, target: string, problems: string[]): AppLogConfig {
    const k = appKeyRows;
    const errorPatternText = readString(raw, k.appLogErrorPattern, problems) || undefined;
    try {
        errorPattern(errorPatternText, `${namespace}:appLogErrorPattern`);
    } catch (e) {
        problems.push((e as Error).message);
    }
    // each is read where its target is (its pattern checked there): elsewhere it is refused as such
    const onlyOn = (row: StringKey, on: string, why: string): string | undefined => {
        const set = readString(raw, { ...row, pattern: undefined }, problems) || undefined;
        if (set === undefined || target === on) {
            return set && readString(raw, row, problems);
        }
        problems.push(`${namespace}:${row.key}: read on the ${on === "hosts" ? "hosts" : "AWS"} target only ${why}; remove it for the ${target} target`);
        return set;
    };
    const hostsOnly = "(the local default reads each server's stdout and stderr; on AWS set appLogGroup)";
    const file = onlyOn(k.appLogFile, "hosts", hostsOnly);
    const unit = onlyOn(k.appLogUnit, "hosts", hostsOnly);
    for (const [row, value] of [[k.appLogFile, file], [k.appLogUnit, unit]] as const) {
        if (target === "hosts" && value !== undefined && row.pattern.test(value) && otherPlaceholder.test(value)) {
            problems.push(`${namespace}:${row.key}: must be ${row.allowed}; got ${JSON.stringify(value)}`);
        }
    }
    if (file !== undefined && unit !== undefined) {
        problems.push(`${namespace}:appLogUnit: set appLogFile or appLogUnit, not both: where the app's lines are on a host, a file or a journald unit`);
    }
    const group = onlyOn(k.appLogGroup, "aws", "(CloudWatch Logs); on the hosts target set appLogFile or appLogUnit");
    const streamSet = readString(raw, { ...k.appLogStream, pattern: undefined }, problems) || undefined;
    if (streamSet !== undefined && group === undefined) {
        problems.push(`${namespace}:appLogStream: needs ${namespace}:appLogGroup, the group its streams are in`);
    }
    const stream = streamSet !== undefined && group !== undefined ? readString(raw, k.appLogStream, problems) : streamSet;
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
