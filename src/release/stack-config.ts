// The whole stack configuration in one parse: release settings, the application, and the
// target's settings as one either-or type. Every problem of every part is reported at once,
// each naming its key and what is allowed, before anything changes.
import { AppConfig, appRows, parseAppConfig } from "./app-config";
import { CanaryConfig, canaryRows, parseCanaryConfig } from "../canary/config";
import { closest, distance } from "fastest-levenshtein";
import { collect, type ConfigKey, ConfigError, type EnumKey, namespace, type NumberKey, parseReleaseConfig, RawConfig, readEnum, ReleaseConfig, releaseRows, type SecretKey } from "./config";
import { type TargetConfig, targetDefinition, targetDefinitions, targetKinds, type TargetKind } from "../../targets/registry";
import { MetricsConfig, metricRows, parseMetricsConfig } from "../monitors/config";

export type { TargetConfig };

export interface StackConfig {
    readonly release: ReleaseConfig;
    readonly app: AppConfig;
    readonly target: TargetConfig;
    readonly canary: CanaryConfig;
    /** The canary's metric checks (read from the stack's Prometheus on the local default, the team's on hosts). */
    readonly metrics: MetricsConfig;
}

/** Which target the stack releases to, and the database password (the local default's, the migrations'): read here, for every target. */
export const stackKeyRows = {
    target: {
        key: "target", type: "enum", values: targetKinds, fallback: targetKinds[0],
        description:
            "Where the fleet runs. \"local\": HAProxy, app processes and PostgreSQL on 127.0.0.1 (the default, and " +
            "how the tests prove the release graph). \"aws\": an ALB target group and EC2 instances (the keys below " +
            "marked \"AWS target\"; see Pulumi.prod.yaml). \"hosts\": servers and an HAProxy host of your own, " +
            "reached over SSH (the keys marked \"hosts target\"; see Pulumi.hosts.yaml and docs/hosts.md).",
    } as EnumKey<TargetKind>,
    dbPassword: {
        key: "dbPassword", type: "secret",
        description:
            "The local default's and the migrations' database password, always a secret (scripts/pulumi config " +
            "set --secret dbPassword \"$(openssl rand -base64 18)\"): the local default's PostgreSQL is initialised " +
            "with it and the migrations log in with it. zdr requires it where a database is used (the local " +
            "default, or migrationsDir) and refuses it in plain text, naming the key, before anything changes.",
    } as SecretKey,
} as const;

/** A row of the config table with the targets whose parsers read it. */
export type TableRow = ConfigKey & { readonly targets: readonly TargetKind[] };

/**
 * The config table: every key zdr reads, once, with the targets that read it (the release's, the
 * app's and the canary's: every target; a target's own: those whose definition lists the row). Each
 * row is defined beside its parser; Pulumi.yaml's config is written from it (scripts/pulumi-yaml.ts)
 * and test/unit/release/pulumi-yaml.test.ts holds Pulumi.yaml to it and the parsers to each range.
 */
export const configKeys: readonly TableRow[] = [
    ...[stackKeyRows.target, ...releaseRows, ...canaryRows, ...metricRows, ...appRows, stackKeyRows.dbPassword].map((k) => ({ ...k, targets: targetKinds })),
    ...[...new Set(targetDefinitions.flatMap((d) => d.configKeys))].map((k) => ({ ...k, targets: targetDefinitions.filter((d) => d.configKeys.includes(k)).map((d) => d.kind) })),
];

/** The config table's numeric rows. */
export const numberKeys = configKeys.filter((k): k is NumberKey & TableRow => k.type === undefined || k.type === "integer" || k.type === "number");

/** Keys whose values are always Pulumi secrets: a plain value is refused. */
export const secretKeys: readonly string[] = configKeys.filter((k) => k.type === "secret").map((k) => k.key);

/**
 * Keys zdr reads that Pulumi.yaml does not declare: the secret ones. The engine requires a declared
 * secret on every stack (it accepts no default for one), and only the AWS and hosts targets use an
 * SSH key, only the local default and migrations a database password. zdr itself requires them where
 * they are used and refuses them in plain text (StackContext.plainKeys).
 */
export const undeclaredKeys: readonly string[] = secretKeys;

/** Every key of the zdr namespace: Pulumi.yaml's and undeclaredKeys. */
export const stackKeys: readonly string[] = configKeys.map((k) => k.key);

/** Keys zdr no longer reads, and what to do about them. */
const retiredKeys: Readonly<Record<string, string>> = {
    minSamples: "no longer used: the sequential canary judge needs no minimum sample (docs/canary.md); remove it (`scripts/pulumi config rm minSamples`)",
};

export interface StackContext {
    /** Resolves a path from the config against the project folder. */
    readonly resolvePath: (p: string) => string;
    /** $ZDR_LB_PORT, the local default's load-balancer port when lbPort is 0. */
    readonly envLbPort?: string;
    /** Every zdr:* key the stack sets (without the namespace), to refuse typos. */
    readonly keysSet: readonly string[];
    /** The keys of keysSet whose values are not secrets, to refuse a secret key set in plain text. @default - none */
    readonly plainKeys?: readonly string[];
}

/**
 * What an unknown key is told: the nearest known key when it is a likely typo (at most a third of
 * its letters differ, case aside), e.g. "canaryCoutn" -> "did you mean canaryCount?".
 */
export function unknownKey(key: string, known: readonly string[]): string {
    const near = closest(key.toLowerCase(), known.map((k) => k.toLowerCase()));
    const match = known.find((k) => k.toLowerCase() === near);
    const likely = match !== undefined && distance(key.toLowerCase(), near) <= Math.max(1, Math.floor(key.length / 3));
    return `unknown key${likely ? `; did you mean ${match}?` : ""} (every key, its type, default and range: Pulumi.yaml)`;
}

/**
 * Worked example: target local with startCommand [node, server.js] and servers [web-1, web-2]
 * gives { target: { kind: "local", local: { lbPort: 8080, appBasePort: 9101, dbPort: 55432 } }, ... }.
 */
export function parseStackConfig(raw: RawConfig, ctx: StackContext): StackConfig {
    const problems: string[] = [];
    const known = new Set<string>(stackKeys);
    const unknown = ctx.keysSet.filter((k) => !known.has(k));
    if (unknown.length > 0) {
        throw new ConfigError(unknown.map((k) => `${namespace}:${k}: ${retiredKeys[k] ?? unknownKey(k, [...known])}`));
    }
    const plainSecrets = (ctx.plainKeys ?? []).filter((k) => (secretKeys as readonly string[]).includes(k));
    if (plainSecrets.length > 0) {
        throw new ConfigError(plainSecrets.map((k) => `${namespace}:${k}: is a secret but set in plain text; set it again with --secret (scripts/pulumi config set --secret ${k} ...)`));
    }
    const targetProblems: string[] = [];
    const kind = readEnum(raw, stackKeyRows.target, targetProblems);
    const definition = targetDefinition(kind);
    if (targetProblems.length > 0 || !definition) {
        throw new ConfigError(targetProblems);
    }
    const release = collect(problems, () => parseReleaseConfig(raw));
    const app = collect(problems, () => parseAppConfig(raw, definition.kind, ctx.resolvePath));
    const target = release && collect(problems, () => definition.parse(raw, release, { envLbPort: ctx.envLbPort }));
    if ((definition.ownsDatabase || raw.migrationsDir) && !raw.dbPassword) {
        problems.push(
            `${namespace}:dbPassword: required ${definition.ownsDatabase ? `on the ${kind === "local" ? "local default" : `${kind} target`} (its PostgreSQL is initialised with it)` : "with migrationsDir (the migrations log in with it)"}, as a secret: scripts/pulumi config set --secret dbPassword "$(openssl rand -base64 18)"`,
        );
    }
    const canary = collect(problems, () => parseCanaryConfig(raw));
    const metrics = collect(problems, () => parseMetricsConfig(raw, definition.metricDefaults));
    if (problems.length > 0 || !release || !app || !target || !canary || !metrics) {
        throw new ConfigError(problems);
    }
    return { release, app, target, canary, metrics };
}
