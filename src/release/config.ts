// The release settings of a stack, validated before anything changes. Every message names the
// config key and what is allowed.
export const namespace = "zdr";

/** Raw values as `pulumi.Config#get` returns them: strings, arrays and objects as JSON text. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export interface ReleaseConfig {
    /** Server names in release order. */
    readonly servers: readonly string[];
    readonly stableVersion: string;
    readonly releaseVersion: string;
    /** How many servers, from the first, run releaseVersion. */
    readonly canaryCount: number;
    /** Per-server version overrides, e.g. to roll one server back. */
    readonly pins: Readonly<Record<string, string>>;
    readonly drainTimeoutSeconds: number;
    readonly healthCheckIntervalMs: number;
    readonly healthTimeoutSeconds: number;
    /** Evidence window after a canary's reattach; 0 means no canary judgement. */
    readonly bakeSeconds: number;
    /** Canary verdicts the team accepted, as server -> version. */
    readonly acceptVerdicts: Readonly<Record<string, string>>;
    /**
     * "staged" (the default): one server at a time, schema changes must keep every live version
     * working. "all-at-once": every server is drained and stopped, the migration runs, every
     * server starts on releaseVersion — downtime, for a release that must break compatibility.
     */
    readonly releaseMode: ReleaseMode;
    /**
     * Most servers out of the load balancer at once: the size of a batch (see planBatches). From
     * `maxUnavailable`, a count ("2") or a share of the servers ("25%", rounded down, at least 1).
     */
    readonly maxUnavailable: number;
    /**
     * Fewest servers that must stay in the load balancer while a batch moves. From `minHealthy`,
     * a count ("4") or a share of the servers ("75%", rounded up); 0 (the default) sets no floor
     * beyond what maxUnavailable leaves.
     */
    readonly minHealthy: number;
}

export const releaseModes = ["staged", "all-at-once"] as const;
export type ReleaseMode = (typeof releaseModes)[number];

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

const serverName = /^[a-z][a-z0-9-]{0,31}$/;
/** Any well-formed version name: tags, semver (1.4.0-rc.1+build.7), git SHAs. */
export const versionName = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/**
 * When the hosts and AWS targets' parsers check the SSH key's form: "now", from `raw.sshPrivateKey`
 * (the stack config's text, a typed Release's plain string), or "when resolved", for a Release
 * given the key as an Output (components/release.ts checks it once its value is known).
 */
export type KeyCheck = "now" | "when resolved";

/** The text of an SSH private key, OpenSSH or PEM ("-----BEGIN ... PRIVATE KEY-----"): what the hosts and AWS targets log in with. */
export function isPrivateKeyText(text: string | undefined): boolean {
    return /^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test((text ?? "").trim());
}

/** A list-valued key as the engine hands it over (JSON text); a problem naming the key when it is not one. */
function json(key: string, text: string | undefined, problems: string[]): unknown {
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text);
    } catch {
        problems.push(`${namespace}:${key}: must be a list in YAML or JSON; got ${JSON.stringify(text)}`);
        return undefined;
    }
}

/** A typed setting as its key's text, what `pulumi.Config#get` would hand over (a Release's typed settings are parsed as stack config). */
export const textOf = (v: string | number | boolean | undefined): string | undefined => (v === undefined ? undefined : String(v));
/** A typed list as a list key's text (JSON). */
export const listOf = (v: readonly unknown[] | undefined): string | undefined => (v === undefined ? undefined : JSON.stringify(v));
/** A typed map as a list key's "name=value" entries (pins, schemaVersions, instanceIds). */
export const entriesOf = (v: Readonly<Record<string, string | number>> | undefined): string | undefined =>
    v === undefined ? undefined : JSON.stringify(Object.entries(v).map(([k, x]) => `${k}=${x}`));

/** What every row of the config table says: its key and what it is for (Pulumi.yaml's description: scripts/pulumi-yaml.ts writes it from the table). */
interface KeyRow {
    readonly key: string;
    /** Pulumi.yaml's description of the key (what a user reads beside `pulumi config`). */
    readonly description: string;
}

/**
 * A numeric stack config key: one row of the config table (every parser reads its numeric keys
 * through such rows and `readNumber`; src/release/stack-config.ts' `configKeys` is all the rows,
 * and test/unit/release/pulumi-yaml.test.ts holds Pulumi.yaml to each row's type, default and range).
 */
export interface NumberKey<O = Record<string, unknown>> extends KeyRow {
    /** "integer": whole numbers (Pulumi.yaml type integer); "number": any (declared as a string, e.g. "0.0165"). @default "integer" */
    readonly type?: "integer" | "number";
    /** The option it sets, where a parser maps rows onto an options object (the canary judge's). */
    readonly option?: keyof O & string;
    /** The value when the key is unset or empty (Pulumi.yaml's default says the same). */
    readonly fallback: number;
    /** The allowed range; `openMin` excludes the lower bound. A parser may narrow `max` by what else is set (canaryCount: the servers). */
    readonly min: number;
    readonly max: number;
    readonly openMin?: boolean;
    /** What it means, for the error message ("number" keys) and the reader. */
    readonly meaning: string;
}

/** A text key: its value, or `fallback` when unset or empty; a value not matching `pattern` is refused with `allowed`. */
export interface StringKey extends KeyRow {
    readonly type: "string";
    /** The value when unset or empty ("" for none: the parser then says whether it is required). */
    readonly fallback: string;
    /** What a set value must match. @default - anything */
    readonly pattern?: RegExp;
    /** What is allowed, as the message says it: "zdr:<key>: must be <allowed>; got ...". */
    readonly allowed: string;
}

/** A key with a few allowed values (Pulumi.yaml type string). */
export interface EnumKey<V extends string = string> extends KeyRow {
    readonly type: "enum";
    readonly values: readonly V[];
    readonly fallback: V;
}

/** A true-or-false key (Pulumi.yaml type boolean). */
export interface FlagKey extends KeyRow {
    readonly type: "boolean";
    readonly fallback: boolean;
}

/** A list key (YAML or JSON text; Pulumi.yaml type array): strings, or objects (metric checks, read field by field by their parser). */
export interface ListKey extends KeyRow {
    readonly type: "list";
    readonly items: "string" | "object";
    /** What every entry must match (string lists). @default - any string */
    readonly item?: RegExp;
    /** The fewest entries of a set list. @default 0 */
    readonly min?: number;
    /** The value when unset or empty. @default [] */
    readonly fallback?: readonly string[];
    /** What is allowed, as the message says it: "zdr:<key>: must be <allowed>; got ...". */
    readonly allowed: string;
}

/**
 * A key whose value is always a Pulumi secret (a plain value is refused: parseStackConfig). Not
 * declared in Pulumi.yaml (the engine requires a declared secret on every stack and takes no default
 * for one): its description is a comment there.
 */
export interface SecretKey extends KeyRow {
    readonly type: "secret";
}

/** One row of the config table: every key zdr reads is one (src/release/stack-config.ts, `configKeys`). */
export type ConfigKey = NumberKey<any> | StringKey | EnumKey | FlagKey | ListKey | SecretKey;

/** A text key's value (its fallback when unset or empty); a problem naming the key when it does not match, or, with `required` ("for the AWS target"), when it is unset. */
export function readString(raw: RawConfig, k: StringKey, problems: string[], required?: string): string {
    const text = raw[k.key];
    if (text === undefined || text === "") {
        if (required !== undefined) {
            problems.push(`${namespace}:${k.key}: required ${required}: ${k.allowed}`);
        }
        return k.fallback;
    }
    if (k.pattern && !k.pattern.test(text)) {
        problems.push(`${namespace}:${k.key}: must be ${k.allowed}; got ${JSON.stringify(text)}`);
    }
    return text;
}

/** One of an enum key's values (its fallback when unset or empty, or when refused, with a problem naming the key and the values). */
export function readEnum<V extends string>(raw: RawConfig, k: EnumKey<V>, problems: string[]): V {
    const text = raw[k.key];
    if (text === undefined || text === "") {
        return k.fallback;
    }
    if (!(k.values as readonly string[]).includes(text)) {
        problems.push(`${namespace}:${k.key}: must be one of ${k.values.map((v) => JSON.stringify(v)).join(", ")}; got ${JSON.stringify(text)}`);
        return k.fallback;
    }
    return text as V;
}

/** A flag's value (its fallback when unset or empty); "true" or "false", else a problem naming the key. */
export function readFlag(raw: RawConfig, k: FlagKey, problems: string[]): boolean {
    const text = raw[k.key];
    if (text === undefined || text === "") {
        return k.fallback;
    }
    if (text !== "true" && text !== "false") {
        problems.push(`${namespace}:${k.key}: must be true or false; got ${JSON.stringify(text)}`);
        return k.fallback;
    }
    return text === "true";
}

/**
 * A list key's entries (its fallback when unset or empty), or undefined and a problem naming the key
 * when the text is no list of the row's entries. Worked example: {
     key: "pins", items: "string",
     description: "Per-server overrides as \"server=version\", e.g. \"web-1=v1\" to roll one canary back.",
 }
 * reads '["web-1=v1"]' as ["web-1=v1"], "" as [], and "a,b" as undefined with "zdr:pins: must be a
 * list in YAML or JSON; got "a,b"".
 */
export function readList(raw: RawConfig, k: ListKey & { readonly items: "string" }, problems: string[]): string[] | undefined;
export function readList(raw: RawConfig, k: ListKey, problems: string[]): unknown[] | undefined;
export function readList(raw: RawConfig, k: ListKey, problems: string[]): unknown[] | undefined {
    const text = raw[k.key];
    if (text === undefined || text === "") {
        return [...(k.fallback ?? [])];
    }
    const value = json(k.key, text, problems);
    if (value === undefined) {
        return undefined;
    }
    const entryOk = (e: unknown) => (k.items === "string" ? typeof e === "string" && (!k.item || k.item.test(e)) : typeof e === "object" && e !== null && !Array.isArray(e));
    // an object list's entries are checked one by one by its parser, naming the entry
    if (!Array.isArray(value) || value.length < (k.min ?? 0) || (k.items === "string" && !value.every(entryOk))) {
        problems.push(`${namespace}:${k.key}: must be ${k.allowed}; got ${text}`);
        return undefined;
    }
    return value;
}

/**
 * The value of a numeric key (its fallback when unset or empty), or its fallback and a problem
 * naming the key and the allowed range. `max` narrows the row's own for this stack.
 * Worked example: {
     key: "bakeSeconds", fallback: 0, min: 0, max: 86400,
     description:
         "After each canary's reattach, judge it against the stable servers for at most this long: the verdict " +
         "comes as soon as the evidence decides (docs/canary.md), and an undecided canary is inconclusive at " +
         "the end. 0 means no judgement; else 1-86400. A failing verdict stops the `up` (on the local default " +
         "it also takes the canary out of HAProxy at once).",
 } reads "60" as 60, "" as 0,
 * and "1.5" as 0 with "zdr:bakeSeconds: must be an integer from 0 to 86400; got "1.5"".
 */
export function readNumber(raw: RawConfig, k: NumberKey<never> | NumberKey<any>, problems: string[], max = k.max): number {
    const text = raw[k.key];
    if (text === undefined || text === "") {
        return k.fallback;
    }
    const n = Number(text);
    if ((k.type ?? "integer") === "integer") {
        if (!/^-?\d+$/.test(text.trim()) || n < k.min || n > max) {
            problems.push(`${namespace}:${k.key}: must be an integer from ${k.min} to ${max}; got ${JSON.stringify(text)}`);
            return k.fallback;
        }
        return n;
    }
    if (!Number.isFinite(n) || !(k.openMin ? n > k.min : n >= k.min) || n > max) {
        problems.push(`${namespace}:${k.key}: must be a number ${k.openMin ? "above" : "from"} ${k.min} ${k.openMin ? "and at most" : "to"} ${max} (${k.meaning}); got ${JSON.stringify(text)}`);
        return k.fallback;
    }
    return n;
}

/**
 * A count ("2") or a percentage of `of` ("25%"), as a number of servers; undefined (and a problem
 * naming the key) when it is neither. Percentages round `down` or `up` as the caller says.
 */
function countOrPercent(k: StringKey, text: string, of: number, round: "down" | "up", problems: string[]): number | undefined {
    const m = /^\s*(\d{1,9})(%?)\s*$/.exec(text);
    if (!m || (m[2] === "%" && Number(m[1]) > 100)) {
        problems.push(`${namespace}:${k.key}: must be ${k.allowed}; got ${JSON.stringify(text)}`);
        return undefined;
    }
    const n = Number(m[1]);
    if (m[2] === "") {
        return n;
    }
    return round === "down" ? Math.floor((of * n) / 100) : Math.ceil((of * n) / 100);
}

/**
 * Batch size and floor. Worked examples with 6 servers: maxUnavailable "2" -> 2; "25%" -> 1
 * (1.5 rounded down); "100%" -> 6; minHealthy "4" with maxUnavailable "2" -> fine (6 - 2 = 4);
 * minHealthy "75%" (4.5 rounded up: 5) with maxUnavailable "2" -> refused (only 4 stay).
 */
function batchLimits(raw: RawConfig, servers: number, releaseMode: ReleaseMode, problems: string[]): { maxUnavailable: number; minHealthy: number } {
    const maxText = readString(raw, releaseKeyRows.maxUnavailable, problems);
    const minText = readString(raw, releaseKeyRows.minHealthy, problems);
    let maxUnavailable = countOrPercent(releaseKeyRows.maxUnavailable, maxText, servers, "down", problems);
    if (maxUnavailable !== undefined && maxUnavailable < 1 && !maxText.includes("%")) {
        problems.push(`${namespace}:maxUnavailable: must be at least 1 (a count from 1 to the number of servers, or a percentage); got ${JSON.stringify(maxText)}`);
    }
    maxUnavailable = Math.min(Math.max(maxUnavailable ?? 1, 1), Math.max(servers, 1));
    const minHealthy = countOrPercent(releaseKeyRows.minHealthy, minText, servers, "up", problems);
    if (minHealthy === undefined || servers === 0) {
        return { maxUnavailable, minHealthy: minHealthy ?? 0 };
    }
    if (minHealthy > servers) {
        problems.push(`${namespace}:minHealthy: ${minText} is more than the ${servers} servers; allowed: 0 to ${servers - 1} (or a percentage)`);
    } else if (releaseMode === "all-at-once" && minHealthy > 0) {
        problems.push(`${namespace}:minHealthy: ${minText} cannot hold when ${namespace}:releaseMode is "all-at-once" (every server leaves the load balancer); set ${namespace}:minHealthy to 0 for that release`);
    } else if (servers - maxUnavailable < minHealthy) {
        const allowedMax = servers - minHealthy;
        problems.push(
            `${namespace}:minHealthy: ${minText} keeps ${minHealthy} of the ${servers} servers healthy, but ${namespace}:maxUnavailable ${maxText} takes ${maxUnavailable} out at once and leaves ${servers - maxUnavailable}; ` +
                (allowedMax >= 1
                    ? `allowed: maxUnavailable at most ${allowedMax}, or minHealthy at most ${servers - maxUnavailable}`
                    : `allowed: minHealthy at most ${servers - maxUnavailable} (with ${servers} servers one must be able to leave)`),
        );
    }
    return { maxUnavailable, minHealthy };
}

/** The release's numeric keys (every target reads them). */
export const releaseNumberKeys = {
    canaryCount: {
        key: "canaryCount", fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER, meaning: "how many servers run releaseVersion (at most the number of servers)",
        description:
            "How many servers, from the first in `servers`, run releaseVersion (0 to the number of servers). " +
            "Raise it one stage at a time.",
    },
    drainTimeoutSeconds: {
        key: "drainTimeoutSeconds", fallback: 30, min: 1, max: 3600, meaning: "the longest wait for a drained server's sessions to end",
        description:
            "Longest wait for a drained server's in-flight requests (1-3600); also the app's grace period after " +
            "SIGTERM.",
    },
    healthCheckIntervalMs: {
        key: "healthCheckIntervalMs", fallback: 1000, min: 100, max: 60000, meaning: "the load balancer's health check interval",
        description: "The load balancer's health-check interval in milliseconds (100-60000).",
    },
    healthTimeoutSeconds: {
        key: "healthTimeoutSeconds", fallback: 60, min: 1, max: 3600, meaning: "the longest wait for a deployed server to answer its health check",
        description: "Longest wait for a new version to become healthy, and for the load balancer to see it UP (1-3600).",
    },
    bakeSeconds: {
        key: "bakeSeconds", fallback: 0, min: 0, max: 86400, meaning: "how long each canary is judged",
        description:
            "After each canary's reattach, judge it against the stable servers for at most this long: the verdict " +
            "comes as soon as the evidence decides (docs/canary.md), and an undecided canary is inconclusive at " +
            "the end. 0 means no judgement; else 1-86400. A failing verdict stops the `up` (on the local default " +
            "it also takes the canary out of HAProxy at once).",
    },
} as const satisfies Record<string, NumberKey>;

const versionAllowed = "a version name (letters, digits, . _ + -, starting with a letter or digit, at most 128)";
const serverVersionsAllowed = 'a list of "server=version" entries';
const batchAllowed = 'a count of servers ("2") or a percentage of them from 0% to 100% ("25%")';

/** The release's other keys (every target reads them). */
export const releaseKeyRows = {
    servers: {
        key: "servers", type: "list", items: "string", item: serverName, min: 1, fallback: ["web-1", "web-2", "web-3"], allowed: "a non-empty list of names of lower-case letters, digits and -, starting with a letter (at most 32)",
        description: "Server names in release order; lower-case letters, digits and -, unique.",
    },
    stableVersion: {
        key: "stableVersion", type: "string", fallback: "v1", pattern: versionName, allowed: versionAllowed,
        description:
            "The version every server runs unless it is a canary or pinned. Set it to the release version to " +
            "promote.",
    },
    releaseVersion: {
        key: "releaseVersion", type: "string", fallback: "", pattern: versionName, allowed: versionAllowed,
        description: "The version being released to the first canaryCount servers. Empty means stableVersion (no release).",
    },
    releaseMode: {
        key: "releaseMode", type: "enum", values: releaseModes, fallback: "staged",
        description:
            "\"staged\" moves one server at a time and keeps every live version working (the schema-compatibility " +
            "policy checks each migration against them). \"all-at-once\" is for a release that must break " +
            "compatibility: every server is drained and stopped, the migration runs, every server starts on " +
            "releaseVersion. The shop is down meanwhile; canaryCount and pins do not apply. Set it back to " +
            "\"staged\" (with stableVersion the release) once the release is done.",
    },
    pins: {
        key: "pins", type: "list", items: "string", allowed: serverVersionsAllowed,
        description: "Per-server overrides as \"server=version\", e.g. \"web-1=v1\" to roll one canary back.",
    },
    acceptVerdicts: {
        key: "acceptVerdicts", type: "list", items: "string", allowed: serverVersionsAllowed,
        description: "Canary verdicts the team accepts, as \"server=version\"; that canary is not judged again.",
    },
    maxUnavailable: {
        key: "maxUnavailable", type: "string", fallback: "1", allowed: batchAllowed,
        description:
            "Most servers out of the load balancer at once: servers move in batches of this size, in release " +
            "order, each batch starting once the previous one is back and healthy. A count (\"2\") or a share of " +
            "the servers (\"25%\", rounded down, at least 1). \"1\" moves one server at a time.",
    },
    minHealthy: {
        key: "minHealthy", type: "string", fallback: "0", allowed: batchAllowed,
        description:
            "Fewest servers that must stay in the load balancer while a batch moves: a count (\"4\") or a share of " +
            "the servers (\"75%\", rounded up). A config where servers minus maxUnavailable is below it is refused " +
            "before anything changes. \"0\" sets no floor beyond what maxUnavailable leaves.",
    },
} as const satisfies Record<string, ConfigKey>;

/**
 * Validates raw stack config. Worked example: servers [web-1, web-2, web-3], stableVersion v1,
 * releaseVersion v2, canaryCount 1 gives web-1 on v2 and the others on v1 (see planRelease).
 * Versions are any well-formed names; zdr holds no list of them.
 */
export function parseReleaseConfig(raw: RawConfig): ReleaseConfig {
    const problems: string[] = [];
    const known = (key: string, v: string) => {
        if (!versionName.test(v)) {
            problems.push(`${namespace}:${key}: ${JSON.stringify(v)} is not ${versionAllowed}`);
        }
    };

    const servers = readList(raw, releaseKeyRows.servers, problems) ?? [];
    const dup = servers.find((s, i) => servers.indexOf(s) !== i);
    if (dup) {
        problems.push(`${namespace}:servers: ${dup} is listed twice; every server name must be unique`);
    }

    const stableVersion = readString(raw, releaseKeyRows.stableVersion, problems);
    const releaseVersion = readString(raw, releaseKeyRows.releaseVersion, problems) || stableVersion;

    const canaryCount = readNumber(raw, releaseNumberKeys.canaryCount, problems, Math.max(servers.length, 0));

    const serverVersions = (row: ListKey & { readonly items: "string" }): Record<string, string> => {
        const key = row.key;
        const result: Record<string, string> = {};
        for (const entry of readList(raw, row, problems) ?? []) {
            const m = /^([^=\s]+)=([^=\s]+)$/.exec(entry);
            if (!m) {
                problems.push(`${namespace}:${key}: ${JSON.stringify(entry)} is not "server=version"`);
                continue;
            }
            const [, server, version] = m;
            if (!servers.includes(server)) {
                problems.push(`${namespace}:${key}: ${server} is not one of the servers (${servers.join(", ")})`);
            } else if (result[server] !== undefined) {
                problems.push(`${namespace}:${key}: ${server} is ${key === "pins" ? "pinned" : "listed"} twice`);
            }
            known(key, version);
            result[server] = version;
        }
        return result;
    };
    const pins = serverVersions(releaseKeyRows.pins);
    const acceptVerdicts = serverVersions(releaseKeyRows.acceptVerdicts);

    const drainTimeoutSeconds = readNumber(raw, releaseNumberKeys.drainTimeoutSeconds, problems);
    const healthCheckIntervalMs = readNumber(raw, releaseNumberKeys.healthCheckIntervalMs, problems);
    const healthTimeoutSeconds = readNumber(raw, releaseNumberKeys.healthTimeoutSeconds, problems);
    const bakeSeconds = readNumber(raw, releaseNumberKeys.bakeSeconds, problems);

    const modeProblems = problems.length;
    const releaseMode = readEnum(raw, releaseKeyRows.releaseMode, problems);
    if (problems.length === modeProblems && releaseMode === "all-at-once") {
        if (releaseVersion === stableVersion) {
            problems.push(`${namespace}:releaseMode: "all-at-once" needs a releaseVersion other than stableVersion (${stableVersion}); set ${namespace}:releaseVersion`);
        }
        if (Object.keys(pins).length > 0) {
            problems.push(`${namespace}:pins: must be empty when ${namespace}:releaseMode is "all-at-once" (every server runs the release); got ${entriesOf(pins)}`);
        }
    }

    const { maxUnavailable, minHealthy } = batchLimits(raw, servers.length, releaseMode, problems);

    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { servers, stableVersion, releaseVersion, canaryCount, pins, drainTimeoutSeconds, healthCheckIntervalMs, healthTimeoutSeconds, bakeSeconds, acceptVerdicts, releaseMode, maxUnavailable, minHealthy };
}

/** The release's keys as rows of the config table (the app's are in app-config.ts, each target's in targets/<kind>/config.ts; `target` in stack-config.ts). */
export const releaseRows: readonly ConfigKey[] = [...Object.values(releaseKeyRows), ...Object.values(releaseNumberKeys)];

/** Runs one part's parser, adding its problems to `problems` (undefined when it had any). */
export function collect<T>(problems: string[], parse: () => T): T | undefined {
    try {
        return parse();
    } catch (e) {
        if (!(e instanceof ConfigError)) {
            throw e;
        }
        problems.push(...e.problems);
        return undefined;
    }
}
