// The release settings of a stack, validated before anything changes. Every message names the
// config key and what is allowed.
import { z } from "zod";

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
export function json(key: string, text: string | undefined, problems: string[]): unknown {
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

/**
 * A numeric stack config key: one row of the config table (every parser reads its numeric keys
 * through such rows and `readNumber`; src/release/stack-config.ts' `numberKeys` is all of them,
 * and test/unit/release/pulumi-yaml.test.ts holds Pulumi.yaml to each row's type, default and range).
 */
export interface NumberKey<O = Record<string, unknown>> {
    readonly key: string;
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

/**
 * The value of a numeric key (its fallback when unset or empty), or its fallback and a problem
 * naming the key and the allowed range. `max` narrows the row's own for this stack.
 * Worked example: { key: "bakeSeconds", fallback: 0, min: 0, max: 86400 } reads "60" as 60, "" as 0,
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
function countOrPercent(key: string, text: string, of: number, round: "down" | "up", problems: string[]): number | undefined {
    const m = /^\s*(\d{1,9})(%?)\s*$/.exec(text);
    if (!m || (m[2] === "%" && Number(m[1]) > 100)) {
        problems.push(`${namespace}:${key}: must be a count of servers ("2") or a percentage of them from 0% to 100% ("25%"); got ${JSON.stringify(text)}`);
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
    const maxText = raw.maxUnavailable || "1";
    const minText = raw.minHealthy || "0";
    let maxUnavailable = countOrPercent("maxUnavailable", maxText, servers, "down", problems);
    if (maxUnavailable !== undefined && maxUnavailable < 1 && !maxText.includes("%")) {
        problems.push(`${namespace}:maxUnavailable: must be at least 1 (a count from 1 to the number of servers, or a percentage); got ${JSON.stringify(maxText)}`);
    }
    maxUnavailable = Math.min(Math.max(maxUnavailable ?? 1, 1), Math.max(servers, 1));
    const minHealthy = countOrPercent("minHealthy", minText, servers, "up", problems);
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

/**
 * Validates raw stack config. Worked example: servers [web-1, web-2, web-3], stableVersion v1,
 * releaseVersion v2, canaryCount 1 gives web-1 on v2 and the others on v1 (see planRelease).
 * Versions are any well-formed names; zdr holds no list of them.
 */
/** The release's numeric keys (every target reads them). */
export const releaseNumberKeys = {
    canaryCount: { key: "canaryCount", fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER, meaning: "how many servers run releaseVersion (at most the number of servers)" },
    drainTimeoutSeconds: { key: "drainTimeoutSeconds", fallback: 30, min: 1, max: 3600, meaning: "the longest wait for a drained server's sessions to end" },
    healthCheckIntervalMs: { key: "healthCheckIntervalMs", fallback: 1000, min: 100, max: 60000, meaning: "the load balancer's health check interval" },
    healthTimeoutSeconds: { key: "healthTimeoutSeconds", fallback: 60, min: 1, max: 3600, meaning: "the longest wait for a deployed server to answer its health check" },
    bakeSeconds: { key: "bakeSeconds", fallback: 0, min: 0, max: 86400, meaning: "how long each canary is judged" },
} as const satisfies Record<string, NumberKey>;

export function parseReleaseConfig(raw: RawConfig): ReleaseConfig {
    const problems: string[] = [];
    const known = (key: string, v: string) => {
        if (!versionName.test(v)) {
            problems.push(`${namespace}:${key}: ${JSON.stringify(v)} is not a version name (letters, digits, . _ + -, starting with a letter or digit, at most 128)`);
        }
    };

    const serversParsed = z
        .array(z.string().regex(serverName))
        .min(1)
        .safeParse(json("servers", raw.servers, problems) ?? ["web-1", "web-2", "web-3"]);
    let servers: string[] = [];
    if (!serversParsed.success) {
        problems.push(
            `${namespace}:servers: must be a non-empty list of names of lower-case letters, digits and -, starting with a letter (at most 32); got ${raw.servers}`,
        );
    } else {
        servers = serversParsed.data;
        const dup = servers.find((s, i) => servers.indexOf(s) !== i);
        if (dup) {
            problems.push(`${namespace}:servers: ${dup} is listed twice; every server name must be unique`);
        }
    }

    const stableVersion = raw.stableVersion ?? "v1";
    known("stableVersion", stableVersion);
    const releaseVersion = raw.releaseVersion || stableVersion;
    known("releaseVersion", releaseVersion);

    const canaryCount = readNumber(raw, releaseNumberKeys.canaryCount, problems, Math.max(servers.length, 0));

    const serverVersions = (key: string): Record<string, string> => {
        const result: Record<string, string> = {};
        const parsed = z.array(z.string()).safeParse(json(key, raw[key], problems) ?? []);
        if (!parsed.success) {
            problems.push(`${namespace}:${key}: must be a list of "server=version" entries; got ${raw[key]}`);
            return result;
        }
        for (const entry of parsed.data) {
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
    const pins = serverVersions("pins");
    const acceptVerdicts = serverVersions("acceptVerdicts");

    const drainTimeoutSeconds = readNumber(raw, releaseNumberKeys.drainTimeoutSeconds, problems);
    const healthCheckIntervalMs = readNumber(raw, releaseNumberKeys.healthCheckIntervalMs, problems);
    const healthTimeoutSeconds = readNumber(raw, releaseNumberKeys.healthTimeoutSeconds, problems);
    const bakeSeconds = readNumber(raw, releaseNumberKeys.bakeSeconds, problems);

    const releaseMode = (raw.releaseMode || "staged") as ReleaseMode;
    if (!releaseModes.includes(releaseMode)) {
        problems.push(`${namespace}:releaseMode: must be one of ${releaseModes.map((m) => JSON.stringify(m)).join(", ")}; got ${JSON.stringify(raw.releaseMode)}`);
    } else if (releaseMode === "all-at-once") {
        if (releaseVersion === stableVersion) {
            problems.push(`${namespace}:releaseMode: "all-at-once" needs a releaseVersion other than stableVersion (${stableVersion}); set ${namespace}:releaseVersion`);
        }
        if (Object.keys(pins).length > 0) {
            problems.push(`${namespace}:pins: must be empty when ${namespace}:releaseMode is "all-at-once" (every server runs the release); got ${raw.pins}`);
        }
    }

    const { maxUnavailable, minHealthy } = batchLimits(raw, servers.length, releaseMode, problems);

    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { servers, stableVersion, releaseVersion, canaryCount, pins, drainTimeoutSeconds, healthCheckIntervalMs, healthTimeoutSeconds, bakeSeconds, acceptVerdicts, releaseMode, maxUnavailable, minHealthy };
}

/** The release's keys (the app's are in app-config.ts, each target's in targets/<kind>/config.ts). */
export const releaseKeys = [
    "target", "servers", "stableVersion", "releaseVersion", "releaseMode", "canaryCount", "pins",
    "drainTimeoutSeconds", "healthCheckIntervalMs", "healthTimeoutSeconds", "bakeSeconds", "acceptVerdicts",
    "maxUnavailable", "minHealthy",
] as const;

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
