// The whole stack configuration in one parse: release settings, the application, and the
// target's settings as one either-or type. Every problem of every part is reported at once,
// each naming its key and what is allowed, before anything changes.
import { AppConfig, appKeys, parseAppConfig } from "./app-config";
import { CanaryConfig, canaryConfigKeys, parseCanaryConfig } from "../canary/config";
import { AwsConfig, awsKeys, parseAwsConfig } from "./aws-config";
import { HostsConfig, hostsKeys, parseHostsConfig } from "./hosts-config";
import { ConfigError, LocalConfig, namespace, parseLocalConfig, parseReleaseConfig, RawConfig, ReleaseConfig, releaseKeys } from "./config";
import { LbSettings, lbKeys, parseLbConfig } from "./lb-config";

export const targets = ["local", "aws", "hosts"] as const;

export type TargetConfig =
    | { readonly kind: "local"; readonly local: LocalConfig; readonly loadBalancer: LbSettings }
    | { readonly kind: "aws"; readonly aws: AwsConfig }
    | { readonly kind: "hosts"; readonly hosts: HostsConfig };

export interface StackConfig {
    readonly release: ReleaseConfig;
    readonly app: AppConfig;
    readonly target: TargetConfig;
    readonly canary: CanaryConfig;
}

/** Keys whose values are always Pulumi secrets (Pulumi.yaml declares them `secret: true`). */
export const secretKeys = ["dbPassword", "sshPrivateKey"] as const;

/** Every key of the zdr namespace, as declared in Pulumi.yaml. */
export const stackKeys = [...new Set([...releaseKeys, ...appKeys, ...Object.keys(lbKeys), ...awsKeys, ...hostsKeys, ...canaryConfigKeys, ...secretKeys])];

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
}

function collect<T>(problems: string[], parse: () => T): T | undefined {
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

/**
 * Worked example: target local with startCommand [node, server.js] and servers [web-1, web-2]
 * gives { target: { kind: "local", local: { lbPort: 8080, appBasePort: 9101, dbPort: 55432 } }, ... }.
 */
export function parseStackConfig(raw: RawConfig, ctx: StackContext): StackConfig {
    const problems: string[] = [];
    const known = new Set<string>(stackKeys);
    const unknown = ctx.keysSet.filter((k) => !known.has(k));
    if (unknown.length > 0) {
        throw new ConfigError(unknown.map((k) => `${namespace}:${k}: ${retiredKeys[k] ?? `unknown key; the keys are ${[...known].sort().join(", ")}`}`));
    }
    const kind = raw.target || "local";
    if (!(targets as readonly string[]).includes(kind)) {
        throw new ConfigError([`${namespace}:target: must be one of ${targets.map((t) => JSON.stringify(t)).join(", ")}; got ${JSON.stringify(raw.target)}`]);
    }
    const release = collect(problems, () => parseReleaseConfig(raw));
    const app = collect(problems, () => parseAppConfig(raw, kind, ctx.resolvePath));
    let target: TargetConfig | undefined;
    if (release) {
        if (kind === "aws") {
            const aws = collect(problems, () => parseAwsConfig(raw, release));
            target = aws && { kind, aws };
        } else if (kind === "hosts") {
            const hosts = collect(problems, () => parseHostsConfig(raw, release));
            target = hosts && { kind, hosts };
        } else {
            const local = collect(problems, () => parseLocalConfig(raw, release.servers.length, ctx.envLbPort));
            const loadBalancer = collect(problems, () => parseLbConfig(raw));
            target = local && loadBalancer && { kind: "local", local, loadBalancer };
        }
    }
    const canary = collect(problems, () => parseCanaryConfig(raw));
    if (problems.length > 0 || !release || !app || !target || !canary) {
        throw new ConfigError(problems);
    }
    return { release, app, target, canary };
}
