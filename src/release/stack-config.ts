// The whole stack configuration in one parse: release settings, the application, and the
// target's settings as one either-or type. Every problem of every part is reported at once,
// each naming its key and what is allowed, before anything changes.
import { AppConfig, appKeys, appNumberKeys, parseAppConfig } from "./app-config";
import { CanaryConfig, canaryConfigKeys, canaryKeys, parseCanaryConfig } from "../canary/config";
import { closest, distance } from "fastest-levenshtein";
import { collect, ConfigError, namespace, type NumberKey, parseReleaseConfig, RawConfig, ReleaseConfig, releaseKeys, releaseNumberKeys } from "./config";
import { type TargetConfig, targetDefinition, targetDefinitions, targetKeys, targetKinds, type TargetKind } from "../../targets/registry";
import { MetricsConfig, metricKeys, parseMetricsConfig } from "../monitors/config";

export type { TargetConfig };

export interface StackConfig {
    readonly release: ReleaseConfig;
    readonly app: AppConfig;
    readonly target: TargetConfig;
    readonly canary: CanaryConfig;
    /** The canary's metric checks (read from the stack's Prometheus on the local default, the team's on hosts). */
    readonly metrics: MetricsConfig;
}

/** Keys whose values are always Pulumi secrets: a plain value is refused. */
export const secretKeys = ["dbPassword", "sshPrivateKey"] as const;

/**
 * Keys zdr reads that Pulumi.yaml does not declare: the engine requires a declared secret on every
 * stack (it accepts no default for one), and only the AWS and hosts targets use an SSH key, only
 * the local default and migrations a database password. zdr itself requires them where they are
 * used and refuses them in plain text (StackContext.plainKeys).
 */
export const undeclaredKeys = ["dbPassword", "sshPrivateKey"] as const;

/** Every key of the zdr namespace: Pulumi.yaml's and undeclaredKeys. */
export const stackKeys = [...new Set([...releaseKeys, ...appKeys, ...targetKeys, ...canaryConfigKeys, ...metricKeys, ...secretKeys])];

/**
 * The config table's numeric rows: every numeric key zdr reads, once, with the targets whose
 * parser reads it (the release's, the app's and the canary judge's: every target). Each row is
 * defined beside its parser; test/unit/release/pulumi-yaml.test.ts holds Pulumi.yaml to each
 * row's type and default and the parsers to its range.
 */
export const numberKeys: readonly (NumberKey & { readonly targets: readonly TargetKind[] })[] = [
    ...[...Object.values(releaseNumberKeys), ...Object.values(appNumberKeys), ...canaryKeys].map((k) => ({ ...k, targets: targetKinds })),
    ...[...new Set(targetDefinitions.flatMap((d) => d.numberKeys))].map((k) => ({ ...k, targets: targetDefinitions.filter((d) => d.numberKeys.includes(k)).map((d) => d.kind) })),
];

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
    const kind = raw.target || targetKinds[0];
    const definition = targetDefinition(kind);
    if (!definition) {
        throw new ConfigError([`${namespace}:target: must be one of ${targetKinds.map((t) => JSON.stringify(t)).join(", ")}; got ${JSON.stringify(raw.target)}`]);
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
