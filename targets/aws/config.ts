// Settings of the AWS target, validated before anything changes; every message names the key.
import { targetHealthType } from "../../contract/tokens";
import type { TargetDefinition } from "../target";
import { ConfigError, isPrivateKeyText, json, type KeyCheck, namespace, type NumberKey, RawConfig, readNumber, ReleaseConfig } from "../../src/release/config";
import { sshTargetNumberKeys } from "../ssh-keys";
import { keysFor, parseKnownHosts } from "../../src/ssh/known-hosts";

/** Either zdr creates the load balancer and the instances, or the stack names existing ones. */
export type AwsConfig = AwsCommon & (
    | { readonly create: AwsCreate; readonly existing?: undefined }
    | { readonly existing: AwsExisting; readonly create?: undefined }
);

/** zdr creates the load balancer and the instances. */
export interface AwsCreate {
        readonly vpcId: string;
    /** At least two subnets in different zones (an ALB needs two). */
    readonly subnetIds: readonly string[];
    readonly amiId: string;
    readonly instanceType: string;
    /** Who may reach the instances' SSH port (the deploy runs over SSH). */
    readonly sshCidr: string;
}

/** The stack names an existing target group and instances. */
export interface AwsExisting {
    readonly targetGroupArn: string;
    /** Server name -> EC2 instance id, for every server. */
    readonly instanceIds: Readonly<Record<string, string>>;
    /**
     * known_hosts lines with each instance's host key, under the instance id (OpenSSH's
     * HostKeyAlias: "i-0123456789abcdef0 ssh-ed25519 AAAA..."): zdr never trusts a host on first
     * use. (Instances zdr creates get a host key zdr makes, pinned without config.)
     */
    readonly knownHosts: readonly string[];
}

interface AwsCommon {
    readonly region: string;
    readonly appPort: number;
    readonly deregistrationDelaySeconds: number;
    readonly sshUser: string;
    /** Runs on the host with `{version}` replaced; installs and starts that version. */
    readonly deployCommand: string;
    /** Runs on the host with `{version}` replaced; stops the app gracefully. */
    readonly stopCommand: string;
    /** Where the migrations run (database name and user are the app's: AppConfig.db). @default - none: an app without migrations needs no database keys */
    readonly db?: { readonly host: string; readonly port: number };
    /** Longest wait for an SSH connection and its handshake. */
    readonly sshTimeoutSeconds: number;
    /** Longest run of a deploy or stop command on an instance. */
    readonly commandTimeoutSeconds: number;
    /** Between two health checks (from the instance itself) after a deploy. */
    readonly healthPollIntervalMs: number;
}

/** The AWS keys (all optional in Pulumi.yaml; parseAwsConfig says which the AWS target needs). */
export const awsKeys = [
    "awsRegion", "vpcId", "subnetIds", "amiId", "instanceType", "sshCidr", "targetGroupArn", "instanceIds",
    "appPort", "deregistrationDelaySeconds", "sshUser", "sshPrivateKey", "deployCommand", "stopCommand",
    "dbHost", "dbPortRemote", "knownHosts", "sshTimeoutSeconds", "commandTimeoutSeconds", "healthPollIntervalMs",
] as const;

/** The AWS target's own numeric key (ssh-keys.ts has those it shares with the hosts target). */
export const awsNumberKeys = {
    deregistrationDelaySeconds: { key: "deregistrationDelaySeconds", fallback: 30, min: 0, max: 3600, meaning: "the target group's deregistration delay" },
} as const satisfies Record<string, NumberKey>;

const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d$/;
const list = (key: string, text: string | undefined, problems: string[]): unknown => json(key, text || undefined, problems);

/**
 * Worked example (Pulumi.prod.yaml): region eu-central-1, vpcId and two subnets, an AMI: zdr
 * creates the ALB, target group, security groups and one instance per server.
 * The cross-field rules with the release settings are here too (bake windows and the ALB's logs).
 * The secret sshPrivateKey is in `raw` as plain text (the engine refuses it unencrypted in the
 * stack file); only its form is checked, and never printed.
 */
export function parseAwsConfig(raw: RawConfig, release: ReleaseConfig, keyCheck: KeyCheck = "now"): AwsConfig {
    const servers = release.servers;
    const problems: string[] = [];
    if (keyCheck === "now" && !isPrivateKeyText(raw.sshPrivateKey)) {
        problems.push(`${namespace}:sshPrivateKey: the AWS target needs the deploy user's SSH private key (PEM or OpenSSH, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE`);
    }
    if (release.bakeSeconds > 0 && release.bakeSeconds < 300) {
        problems.push(`${namespace}:bakeSeconds: must be 0 or at least 300 on the AWS target (the ALB delivers the access logs the judge reads every 5 minutes); got "${release.bakeSeconds}"`);
    }
    if (release.bakeSeconds > 0 && raw.targetGroupArn) {
        problems.push(`${namespace}:bakeSeconds: must be 0 with targetGroupArn: the judge reads the access logs of an ALB zdr creates`);
    }
    const need = (key: string, pattern: RegExp, what: string): string => {
        const v = raw[key];
        if (!v) {
            problems.push(`${namespace}:${key}: required for the AWS target: ${what}`);
            return "";
        }
        if (!pattern.test(v)) {
            problems.push(`${namespace}:${key}: must be ${what}; got ${JSON.stringify(v)}`);
        }
        return v;
    };

    const region = need("awsRegion", regionPattern, "an AWS region such as eu-central-1");
    let create: AwsCreate | undefined;
    let existing: AwsExisting | undefined;
    // An empty list (the default in Pulumi.yaml) counts as not set.
    const named = (v: string | undefined) => !!v && v.trim() !== "[]";
    if (named(raw.targetGroupArn) || named(raw.instanceIds)) {
        const targetGroupArn = need("targetGroupArn", /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/, "the ARN of an existing ALB target group");
        const ids = list("instanceIds", raw.instanceIds, problems);
        const instanceIds: Record<string, string> = {};
        if (!Array.isArray(ids)) {
            problems.push(`${namespace}:instanceIds: required with targetGroupArn: a list of "server=i-..." for every server`);
        } else {
            for (const entry of ids) {
                const m = /^([^=\s]+)=(i-[0-9a-f]{8,17})$/.exec(String(entry));
                if (!m) {
                    problems.push(`${namespace}:instanceIds: ${JSON.stringify(entry)} is not "server=i-<hex>"`);
                } else if (!servers.includes(m[1])) {
                    problems.push(`${namespace}:instanceIds: ${m[1]} is not one of the servers (${servers.join(", ")})`);
                } else {
                    instanceIds[m[1]] = m[2];
                }
            }
            const missing = servers.filter((s) => !instanceIds[s]);
            if (missing.length > 0 && problems.length === 0) {
                problems.push(`${namespace}:instanceIds: no instance for ${missing.join(", ")}; every server needs one`);
            }
        }
        existing = { targetGroupArn, instanceIds, knownHosts: existingKnownHosts(raw.knownHosts, instanceIds, problems) };
    } else {
        const vpcId = need("vpcId", /^vpc-[0-9a-f]{8,17}$/, "a VPC id (vpc-...), or name an existing target group with targetGroupArn and instanceIds");
        const subnets = list("subnetIds", raw.subnetIds, problems);
        const subnetIds = Array.isArray(subnets) ? subnets.map(String) : [];
        if (subnetIds.length < 2 || subnetIds.some((s) => !/^subnet-[0-9a-f]{8,17}$/.test(s))) {
            problems.push(`${namespace}:subnetIds: must list at least two subnet ids (subnet-...) in different zones; got ${raw.subnetIds ?? "nothing"}`);
        }
        const amiId = need("amiId", /^ami-[0-9a-f]{8,17}$/, "an AMI id (ami-...) with the app's runtime installed");
        const instanceType = raw.instanceType || "t3.small";
        if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
            problems.push(`${namespace}:instanceType: must be an EC2 instance type such as t3.small; got ${JSON.stringify(instanceType)}`);
        }
        const sshCidr = raw.sshCidr || "10.0.0.0/8";
        if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(sshCidr)) {
            problems.push(`${namespace}:sshCidr: must be an IPv4 CIDR such as 10.0.0.0/8; got ${JSON.stringify(sshCidr)}`);
        }
        create = { vpcId, subnetIds, amiId, instanceType, sshCidr };
    }
    const appPort = readNumber(raw, sshTargetNumberKeys.appPort, problems);
    const deregistrationDelaySeconds = readNumber(raw, awsNumberKeys.deregistrationDelaySeconds, problems);
    const deployCommand = need("deployCommand", /\{version\}/, "a shell command that installs and starts {version} on the host, e.g. sudo /opt/app/bin/deploy {version}");
    const stopCommand = need("stopCommand", /\S/, "a shell command that stops the app gracefully on the host, e.g. sudo systemctl stop app");
    const db = raw.migrationsDir || raw.dbHost ? {
        host: need("dbHost", /^[A-Za-z0-9.-]+$/, "the PostgreSQL host the migrations run against"),
        port: readNumber(raw, sshTargetNumberKeys.dbPortRemote, problems),
    } : undefined;
    const sshTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.sshTimeoutSeconds, problems);
    const commandTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.commandTimeoutSeconds, problems);
    const healthPollIntervalMs = readNumber(raw, sshTargetNumberKeys.healthPollIntervalMs, problems);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const common: AwsCommon = { region, appPort, deregistrationDelaySeconds, sshUser: raw.sshUser || "ubuntu", deployCommand, stopCommand, ...(db ? { db } : {}), sshTimeoutSeconds, commandTimeoutSeconds, healthPollIntervalMs };
    return existing ? { ...common, existing } : { ...common, create: create as AwsCreate };
}

/**
 * The known_hosts lines of existing instances: one (at least) under each instance id, else a
 * problem naming the instance and how to get its line.
 */
function existingKnownHosts(text: string | undefined, instanceIds: Readonly<Record<string, string>>, problems: string[]): string[] {
    const value = json("knownHosts", text || undefined, problems) ?? [];
    if (!Array.isArray(value) || !value.every((l) => typeof l === "string")) {
        problems.push(`${namespace}:knownHosts: must be a list of known_hosts lines, one per instance under its id ("i-0123456789abcdef0 ssh-ed25519 AAAA..."); got ${text ?? "nothing"}`);
        return [];
    }
    const lines = value as string[];
    try {
        const known = parseKnownHosts(lines);
        for (const [server, id] of Object.entries(instanceIds)) {
            if (keysFor(known, id, 22).filter((k) => !k.revoked).length === 0) {
                problems.push(
                    `${namespace}:knownHosts: no host key for ${server}'s instance ${id}; zdr never trusts a host on first use: ` +
                        `add "${id} <its key>", the key from the instance's console output or /etc/ssh/ssh_host_ed25519_key.pub, after checking its fingerprint`,
                );
            }
        }
    } catch (e) {
        problems.push(`${namespace}:knownHosts: ${(e as Error).message}`);
    }
    return lines;
}

export interface AwsTargetConfig {
    readonly kind: "aws";
    readonly aws: AwsConfig;
}

/** AWS: an Application Load Balancer and EC2 instances (created, or existing ones by id). */
export const awsTarget: TargetDefinition<"aws", AwsTargetConfig> = {
    kind: "aws",
    summary: "an Application Load Balancer in front of EC2 instances, created by zdr or existing ones by id",
    keys: awsKeys,
    numberKeys: [...Object.values(sshTargetNumberKeys), ...Object.values(awsNumberKeys)],
    metricChecks: false,
    usesSshKey: true,
    ownsDatabase: false,
    ownsLoadBalancer: true,
    dashboard: true,
    exampleStack: "Pulumi.prod.yaml",
    membershipTypes: [targetHealthType],
    fleetStatus: async () => (await import("./status")).awsFleetStatus,
    parse: (raw, release) => ({ kind: "aws", aws: parseAwsConfig(raw, release) }),
};
