// Settings of the AWS target, validated before anything changes; every message names the key.
import { targetHealthType } from "../../contract/tokens";
import type { TargetDefinition } from "../target";
import { type ConfigKey, ConfigError, entriesOf, isPrivateKeyText, type KeyCheck, listOf, namespace, type NumberKey, RawConfig, readFlag, readList, readNumber, readString, ReleaseConfig, textOf } from "../../src/release/config";
import { sshTargetKeyRows, sshTargetNumberKeys, sshTargetRawOf, sshTargetRows, type SshTargetSettings, sshTargetSettingOfKey, wantsDatabase } from "../ssh-keys";
import { keysFor, parseKnownHosts } from "../../src/ssh/known-hosts";
import { defaultMetricChecks, judgedFields, type MetricCheckConfig, metricKeyRows } from "../../src/monitors/config";
import { SignBet } from "../../src/monitors/sign-sequence";
import { canaryKeys } from "../../src/canary/config";

const passAlphaKey = canaryKeys.find((k) => k.option === "passAlpha")!;

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

/** What every AWS fleet holds, besides what it shares with the hosts target (SshTargetSettings: the app's port, the SSH user, the commands, their time-outs, the database). */
interface AwsCommon extends SshTargetSettings {
    readonly region: string;
    readonly deregistrationDelaySeconds: number;
    /**
     * The canary's metric checks, read from CloudWatch: awsDefaultMetricChecks (unless
     * canaryDefaultMetrics is false) and awsCanaryMetrics, parsed (parseAwsMetricChecks). Given in a
     * Release's typed settings, it is the whole list: the defaults are not added to it.
     * @default - the defaults alone
     */
    readonly metricChecks?: readonly MetricCheckConfig[];
}

/** The AWS target's own numeric key (ssh-keys.ts has those it shares with the hosts target). */
export const awsNumberKeys = {
    deregistrationDelaySeconds: {
        key: "deregistrationDelaySeconds", fallback: 30, min: 0, max: 3600, meaning: "the target group's deregistration delay",
        description:
            "AWS target. The target group's deregistration delay - how long a drain lets in-flight requests " +
            "finish; drains wait for it (plus 60 s at most).",
    },
} as const satisfies Record<string, NumberKey>;


/** The AWS target's other own keys (ssh-keys.ts has those it shares with the hosts target); parseAwsConfig says which it requires. */
export const awsKeyRows = {
    awsRegion: {
        key: "awsRegion", type: "string", fallback: "", pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, allowed: "an AWS region such as eu-central-1",
        description: "AWS target, required. The region of the fleet, e.g. eu-central-1.",
    },
    vpcId: {
        key: "vpcId", type: "string", fallback: "", pattern: /^vpc-[0-9a-f]{8,17}$/, allowed: "a VPC id (vpc-...), or name an existing target group with targetGroupArn and instanceIds",
        description: "AWS target, when zdr creates the load balancer and instances. The VPC (vpc-...).",
    },
    subnetIds: {
        key: "subnetIds", type: "list", items: "string", item: /^subnet-[0-9a-f]{8,17}$/, min: 2, allowed: "a list of at least two subnet ids (subnet-...) in different zones",
        description:
            "AWS target, with vpcId. At least two subnets (subnet-...) in different zones; instances go " +
            "round-robin over them.",
    },
    amiId: {
        key: "amiId", type: "string", fallback: "", pattern: /^ami-[0-9a-f]{8,17}$/, allowed: "an AMI id (ami-...) with the app's runtime installed",
        description: "AWS target, with vpcId. The AMI of the app servers (with the app's runtime and its deploy script).",
    },
    instanceType: {
        key: "instanceType", type: "string", fallback: "t3.small", pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, allowed: "an EC2 instance type such as t3.small",
        description: "AWS target, with vpcId. EC2 instance type of the app servers.",
    },
    sshCidr: {
        key: "sshCidr", type: "string", fallback: "10.0.0.0/8", pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, allowed: "an IPv4 CIDR such as 10.0.0.0/8",
        description:
            "AWS target, with vpcId. Who may reach the servers' SSH port (where `pulumi up` runs the deploys " +
            "from).",
    },
    targetGroupArn: {
        key: "targetGroupArn", type: "string", fallback: "", pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/,
        description: "AWS target, instead of vpcId. An existing ALB target group; zdr only manages its members.",
        allowed: "the ARN of an existing ALB target group",
    },
    instanceIds: {
        key: "instanceIds", type: "list", items: "string", allowed: 'a list of "server=i-..." for every server',
        description: "AWS target, with targetGroupArn. \"server=i-...\" for every server.",
    },
    awsCanaryMetrics: {
        key: "awsCanaryMetrics", type: "list", items: "object", allowed: "a list of {name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance}",
        description:
            "AWS target. Metric checks of each canary read from CloudWatch (GetMetricData per server) over the " +
            "bake, besides the default (canaryDefaultMetrics: each instance's AWS/EC2 CPUUtilization, 60 s " +
            "periods): a list of {name, namespace, metricName, statistic (Sum, Average, Minimum, Maximum, " +
            "SampleCount, pNN), dimensions (a value may hold {instanceId} and {server}), periodSeconds (1, 5, 10, " +
            "20, 30 or a multiple of 60; default 60), lagSeconds (how long a period takes to land; default 120), " +
            "better: lower|higher, tolerance, warmupSeconds?}. A bake too short for a check to pass is refused " +
            "(docs/canary.md, \"Metric checks on AWS\").",
    },
} as const satisfies Record<string, ConfigKey>;

/** Every key the AWS target reads beyond the release's, the app's and the canary's, as rows of the config table. */
export const awsRows: readonly ConfigKey[] = [...sshTargetRows, ...Object.values(awsKeyRows), ...Object.values(awsNumberKeys)];

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
    if (release.bakeSeconds > 0 && readString(raw, awsKeyRows.targetGroupArn, [])) {
        problems.push(`${namespace}:bakeSeconds: must be 0 with targetGroupArn: the judge reads the access logs of an ALB zdr creates`);
    }
    const k = awsKeyRows;
    const shared = sshTargetKeyRows;
    const required = "for the AWS target";

    const region = readString(raw, k.awsRegion, problems, required);
    let create: AwsCreate | undefined;
    let existing: AwsExisting | undefined;
    // an existing target group when either key is set (an empty list, Pulumi.yaml's default, is not)
    const ids = readList(raw, k.instanceIds, problems);
    if (readString(raw, k.targetGroupArn, []) !== "" || !ids || ids.length > 0) {
        const targetGroupArn = readString(raw, k.targetGroupArn, problems, required);
        const instanceIds: Record<string, string> = {};
        for (const entry of ids ?? []) {
            const m = /^([^=\s]+)=(i-[0-9a-f]{8,17})$/.exec(entry);
            if (!m) {
                problems.push(`${namespace}:instanceIds: ${JSON.stringify(entry)} is not "server=i-<hex>"`);
            } else if (!servers.includes(m[1])) {
                problems.push(`${namespace}:instanceIds: ${m[1]} is not one of the servers (${servers.join(", ")})`);
            } else {
                instanceIds[m[1]] = m[2];
            }
        }
        const missing = servers.filter((s) => !instanceIds[s]);
        if (ids && missing.length > 0 && problems.length === 0) {
            problems.push(`${namespace}:instanceIds: no instance for ${missing.join(", ")}; every server needs one`);
        }
        existing = { targetGroupArn, instanceIds, knownHosts: existingKnownHosts(raw, instanceIds, problems) };
    } else {
        const vpcId = readString(raw, k.vpcId, problems, required);
        const subnetIds = readList(raw, k.subnetIds, problems) ?? [];
        if (subnetIds.length === 0 && !problems.some((p) => p.startsWith(`${namespace}:subnetIds:`))) {
            problems.push(`${namespace}:subnetIds: must be ${k.subnetIds.allowed}; got none`);
        }
        const amiId = readString(raw, k.amiId, problems, required);
        const instanceType = readString(raw, k.instanceType, problems);
        const sshCidr = readString(raw, k.sshCidr, problems);
        create = { vpcId, subnetIds, amiId, instanceType, sshCidr };
    }
    const appPort = readNumber(raw, sshTargetNumberKeys.appPort, problems);
    const deregistrationDelaySeconds = readNumber(raw, awsNumberKeys.deregistrationDelaySeconds, problems);
    const deployCommand = readString(raw, shared.deployCommand, problems, required);
    const stopCommand = readString(raw, shared.stopCommand, problems, required);
    const db = wantsDatabase(raw) ? {
        host: readString(raw, shared.dbHost, problems, required),
        port: readNumber(raw, sshTargetNumberKeys.dbPortRemote, problems),
    } : undefined;
    const sshUser = readString(raw, shared.sshUser, problems);
    const sshTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.sshTimeoutSeconds, problems);
    const commandTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.commandTimeoutSeconds, problems);
    const healthPollIntervalMs = readNumber(raw, sshTargetNumberKeys.healthPollIntervalMs, problems);
    // a bake refused above is not also said too short for the metric checks
    const bakeRefused = problems.some((p) => p.startsWith(`${namespace}:bakeSeconds:`));
    const metricChecks = parseAwsMetricChecks(raw, bakeRefused ? 0 : release.bakeSeconds, problems);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const common: AwsCommon = { region, appPort, deregistrationDelaySeconds, sshUser, deployCommand, stopCommand, ...(db ? { db } : {}), sshTimeoutSeconds, commandTimeoutSeconds, healthPollIntervalMs, metricChecks };
    return existing ? { ...common, existing } : { ...common, create: create as AwsCreate };
}

/**
 * The known_hosts lines of existing instances: one (at least) under each instance id, else a
 * problem naming the instance and how to get its line.
 */
function existingKnownHosts(raw: RawConfig, instanceIds: Readonly<Record<string, string>>, problems: string[]): string[] {
    const lines = readList(raw, sshTargetKeyRows.knownHosts, problems);
    if (!lines) {
        return [];
    }
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
    configKeys: awsRows,
    // its own checks, parsed with its settings (awsCanaryMetrics); canaryMetrics' PromQL is refused there
    metricChecks: (settings) => ({ checks: settings.aws.metricChecks ?? awsDefaultMetricChecks, store: "cloudwatch" }),
    usesSshKey: true,
    ownsDatabase: false,
    ownsLoadBalancer: true,
    dashboard: true,
    exampleStack: "Pulumi.prod.yaml",
    membershipTypes: [targetHealthType],
    fleetStatus: async () => (await import("./status")).awsFleetStatus,
    parse: (raw, release, ctx) => ({ kind: "aws", aws: parseAwsConfig(raw, release, ctx.keyCheck) }),
    rawOf: (s) => awsRawOf(s.aws),
    settingsOf: (c) => c,
    settingOfKey: {
        ...sshTargetSettingOfKey("aws"),
        awsRegion: "target.aws.region", deregistrationDelaySeconds: "target.aws.deregistrationDelaySeconds",
        ...Object.fromEntries(["vpcId", "subnetIds", "amiId", "instanceType", "sshCidr"].map((k) => [k, `target.aws.create.${k}`])),
        ...Object.fromEntries(["targetGroupArn", "instanceIds", "knownHosts"].map((k) => [k, `target.aws.existing.${k}`])),
    },
};

/** A typed AWS target as the AWS target's keys' text (its metric checks, when given, are the whole list: the defaults off). */
export function awsRawOf(a: AwsConfig): RawConfig {
    const where = a.existing
        ? { targetGroupArn: a.existing.targetGroupArn, instanceIds: entriesOf(a.existing.instanceIds), knownHosts: listOf(a.existing.knownHosts) }
        : { vpcId: a.create.vpcId, subnetIds: listOf(a.create.subnetIds), amiId: a.create.amiId, instanceType: a.create.instanceType, sshCidr: a.create.sshCidr };
    return { ...sshTargetRawOf(a), awsRegion: a.region, deregistrationDelaySeconds: textOf(a.deregistrationDelaySeconds), ...where, ...(a.metricChecks ? { awsCanaryMetrics: listOf(a.metricChecks.map(awsMetricEntryOf)), canaryDefaultMetrics: "false" } : {}) };
}

/**
 * The checks zdr adds on AWS unless canaryDefaultMetrics is false: each instance's CPU (EC2's
 * CPUUtilization, the average of a minute: detailed monitoring's period; basic monitoring has
 * five-minute values only, and a check of them needs a bake of over 50 minutes). CPU at the same
 * share of the ALB's requests: a canary may use up to 1.5x its baseline's, as the local default's
 * cpu-per-request. No memory default: EC2 has no memory metric without the CloudWatch agent
 * (declare one: CWAgent mem_used_percent, docs/canary.md). The ALB's per-target metrics are per
 * target group, not per target: none compares the canary with its baseline.
 */
export const awsDefaultMetricChecks: readonly MetricCheckConfig[] = [
    {
        name: "cpu",
        query: "AWS/EC2 CPUUtilization Average InstanceId={instanceId} 60s",
        better: "lower",
        tolerance: 0.5,
        stepSeconds: 60,
        lagSeconds: 120,
        cloudWatch: { namespace: "AWS/EC2", metricName: "CPUUtilization", statistic: "Average", dimensions: { InstanceId: "{instanceId}" } },
    },
];

/** GetMetricData's periods: 1, 5, 10, 20, 30 s (high-resolution metrics) or a multiple of 60 s. */
const validPeriod = (p: number) => [1, 5, 10, 20, 30].includes(p) || (p % 60 === 0 && p >= 60 && p <= 86_400);
const statisticPattern = /^(Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d{1,2})?)$/;
const awsMetricFields = ["name", "namespace", "metricName", "statistic", "dimensions", "periodSeconds", "lagSeconds", "better", "tolerance", "warmupSeconds"];

/**
 * Steps of all-better values a check needs before it can pass, with `checks` checks sharing the
 * pass level (the judge splits canaryPassAlpha over the metric checks: metric-judge.ts): a bake
 * with fewer steps leaves the check undecided however healthy the canary, so such a check is refused.
 * Worked example: one check at 0.05 needs 8 steps (eight 60 s periods: a bake of 480 s); to fail, at the metric checks' share of the default alpha, 14 steps all worse (840 s).
 */
export function stepsToPass(checks: number, passAlpha = 0.05): number {
    const bet = new SignBet();
    while (bet.logEvidence() < Math.log(checks / passAlpha) && bet.steps < 10_000) {
        bet.add(true);
    }
    return bet.steps;
}

/** A parsed check as its awsCanaryMetrics entry (a Release's typed settings as keys: src/release/release-args.ts). */
export function awsMetricEntryOf(c: MetricCheckConfig): Record<string, unknown> {
    if (!c.cloudWatch) {
        throw new Error(`the metric check ${c.name} is no CloudWatch check`);
    }
    const { namespace: ns, metricName, statistic, dimensions } = c.cloudWatch;
    return { name: c.name, namespace: ns, metricName, statistic, dimensions, periodSeconds: c.stepSeconds, lagSeconds: c.lagSeconds, better: c.better, tolerance: c.tolerance, ...(c.warmupSeconds !== undefined ? { warmupSeconds: c.warmupSeconds } : {}) };
}

/**
 * The canary's metric checks on AWS: the defaults (canaryDefaultMetrics) and awsCanaryMetrics, a
 * list of {name, namespace, metricName, statistic, dimensions, periodSeconds, lagSeconds?, better,
 * tolerance, warmupSeconds?}; a dimension's value may hold {instanceId} and {server}, filled in per
 * server. canaryMetrics (PromQL) is refused here: AWS has no Prometheus zdr reads.
 * Worked example: [{name: latency, namespace: Webshop, metricName: RequestMs, statistic: p99,
 * dimensions: {InstanceId: "{instanceId}"}, periodSeconds: 10, better: lower, tolerance: 0.3}]
 * judges each server's p99 of 10 s periods (high-resolution values the app puts).
 */
export function parseAwsMetricChecks(raw: RawConfig, bakeSeconds: number, problems: string[]): MetricCheckConfig[] {
    const key = `${namespace}:awsCanaryMetrics`;
    const before = problems.length;
    // the PromQL defaults may come back from a Release's typed settings (settingsOf): only the team's own are refused
    const promql = readList(raw, metricKeyRows.canaryMetrics, []);
    const own = promql ? (promql as { name?: unknown; query?: unknown }[]).filter((c) => !defaultMetricChecks.some((d) => d.name === c?.name && d.query === c?.query)) : [];
    if (own.length > 0) {
        problems.push(`${namespace}:canaryMetrics: PromQL checks are not read on the AWS target (no Prometheus); declare CloudWatch checks in awsCanaryMetrics ({name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance})`);
    }
    const list = readList(raw, awsKeyRows.awsCanaryMetrics, problems);
    const checks: MetricCheckConfig[] = readFlag(raw, metricKeyRows.canaryDefaultMetrics, []) ? [...awsDefaultMetricChecks] : [];
    if (!list) {
        return [];
    }
    list.forEach((entry: unknown, i) => {
        const at = `${key}[${i}]`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            problems.push(`${at}: must be {name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance}; got ${JSON.stringify(entry)}`);
            return;
        }
        const e = entry as Record<string, unknown>;
        const mark = problems.length;
        const unknown = Object.keys(e).filter((k) => !awsMetricFields.includes(k));
        if (unknown.length > 0) {
            problems.push(`${at}: unknown field ${unknown.join(", ")} (allowed: ${awsMetricFields.join(", ")})`);
        }
        const { name, better, tolerance, warmup } = judgedFields(e, at, problems);
        if (problems.length === mark && checks.some((c) => c.name === name)) {
            problems.push(`${at}.name: ${name} is declared twice (the AWS defaults are ${awsDefaultMetricChecks.map((c) => c.name).join(", ")}; canaryDefaultMetrics: false leaves them out)`);
        }
        const text = (field: string, what: string, pattern: RegExp): string => {
            const v = e[field];
            if (typeof v !== "string" || !pattern.test(v)) {
                problems.push(`${at}.${field}: must be ${what}; got ${JSON.stringify(v)}`);
                return "";
            }
            return v;
        };
        const ns = text("namespace", "a CloudWatch namespace of 1-255 characters, e.g. AWS/EC2, CWAgent or the app's own", /^[^:\s][^:]{0,254}$/);
        const metricName = text("metricName", "a CloudWatch metric name of 1-255 characters", /^\S.{0,254}$/);
        const statistic = text("statistic", "Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99", statisticPattern);
        const dims = e.dimensions ?? {};
        const dimensions: Record<string, string> = {};
        if (typeof dims !== "object" || dims === null || Array.isArray(dims) || Object.keys(dims).length > 30 ||
            !Object.entries(dims).every(([k, v]) => /^\S.{0,254}$/.test(k) && typeof v === "string" && v.length > 0 && v.length <= 1024)) {
            problems.push(`${at}.dimensions: must be an object of at most 30 dimensions, name -> value (a value may hold {instanceId} and {server}), e.g. {"InstanceId": "{instanceId}"}; got ${JSON.stringify(e.dimensions)}`);
        } else {
            for (const [k, v] of Object.entries(dims as Record<string, string>)) {
                const other = /\{(?!instanceId\}|server\})[A-Za-z_]*\}/.exec(v);
                if (other) {
                    problems.push(`${at}.dimensions.${k}: only {instanceId} and {server} are filled in; got ${JSON.stringify(other[0])}`);
                }
                dimensions[k] = v;
            }
            if (!Object.values(dimensions).some((v) => v.includes("{instanceId}") || v.includes("{server}"))) {
                problems.push(`${at}.dimensions: must name the server, a value with {instanceId} or {server} (the canary is compared with each baseline server); got ${JSON.stringify(e.dimensions)}`);
            }
        }
        const period = typeof e.periodSeconds === "string" ? Number(e.periodSeconds) : e.periodSeconds ?? 60;
        if (typeof period !== "number" || !Number.isInteger(period) || !validPeriod(period)) {
            problems.push(`${at}.periodSeconds: must be 1, 5, 10, 20 or 30 (high-resolution metrics) or a multiple of 60 up to 86400; got ${JSON.stringify(e.periodSeconds)}`);
        }
        const lag = typeof e.lagSeconds === "string" ? Number(e.lagSeconds) : e.lagSeconds ?? 120;
        if (typeof lag !== "number" || !Number.isInteger(lag) || lag < 0 || lag > 3600) {
            problems.push(`${at}.lagSeconds: must be an integer from 0 to 3600 (how long a period's value takes to land in CloudWatch); got ${JSON.stringify(e.lagSeconds)}`);
        }
        if (problems.length === mark) {
            const described = `${ns} ${metricName} ${statistic} ${Object.entries(dimensions).map(([k, v]) => `${k}=${v}`).join(",")} ${period}s`;
            checks.push({ name, query: described, better, tolerance, ...(warmup !== undefined ? { warmupSeconds: warmup } : {}), stepSeconds: period as number, lagSeconds: lag as number, cloudWatch: { namespace: ns, metricName, statistic, dimensions } });
        }
    });
    if (bakeSeconds > 0 && problems.length === before) {
        // a check with too few periods in the bake can never pass: refused, with the ways out
        // the pass level the judge will use (its default where the key is refused: the canary's parser says so)
        const need = stepsToPass(checks.length, readNumber(raw, passAlphaKey, []));
        checks.forEach((c, i) => {
            const steps = Math.floor((bakeSeconds - (c.warmupSeconds ?? 0)) / (c.stepSeconds ?? 60));
            if (steps < need) {
                const where = awsDefaultMetricChecks.includes(c) ? `${namespace}:canaryDefaultMetrics: the default check ${c.name} (${c.query})` : `${key}[${i - checks.filter((d) => awsDefaultMetricChecks.includes(d)).length}] (${c.name})`;
                problems.push(
                    `${where}: ${c.stepSeconds} s periods give ${steps} steps in bakeSeconds ${bakeSeconds}${c.warmupSeconds ? ` after its ${c.warmupSeconds} s warm-up` : ""}; ` +
                        `with ${checks.length} metric check${checks.length > 1 ? "s" : ""} a check needs ${need} to pass: raise bakeSeconds to at least ${need * (c.stepSeconds ?? 60) + (c.warmupSeconds ?? 0)}` +
                        `${awsDefaultMetricChecks.includes(c) ? ", or set canaryDefaultMetrics to false" : ", or use a shorter period (1-30 s for high-resolution metrics)"}`,
                );
            }
        });
    }
    return checks;
}
