// Settings of the AWS target, validated before anything changes; every message names the key.
import { ConfigError, json, namespace, RawConfig } from "./config";

export interface AwsConfig {
    readonly region: string;
    /** Either zdr creates the load balancer and the instances ... */
    readonly create?: {
        readonly vpcId: string;
        /** At least two subnets in different zones (an ALB needs two). */
        readonly subnetIds: readonly string[];
        readonly amiId: string;
        readonly instanceType: string;
        /** Who may reach the instances' SSH port (the deploy runs over SSH). */
        readonly sshCidr: string;
    };
    /** ... or the stack names an existing target group and instances. */
    readonly existing?: {
        readonly targetGroupArn: string;
        /** Server name -> EC2 instance id, for every server. */
        readonly instanceIds: Readonly<Record<string, string>>;
    };
    readonly appPort: number;
    readonly healthCheckPath: string;
    readonly deregistrationDelaySeconds: number;
    readonly sshUser: string;
    /** Runs on the host with `{version}` replaced; installs and starts that version. */
    readonly deployCommand: string;
    /** Runs on the host to stop the app gracefully. */
    readonly stopCommand: string;
    readonly db: { readonly host: string; readonly port: number; readonly user: string; readonly database: string };
}

/** The AWS keys (all optional in Pulumi.yaml; parseAwsConfig says which the AWS target needs). */
export const awsKeys = [
    "awsRegion", "vpcId", "subnetIds", "amiId", "instanceType", "sshCidr", "targetGroupArn", "instanceIds",
    "appPort", "healthCheckPath", "deregistrationDelaySeconds", "sshUser", "deployCommand", "stopCommand",
    "dbHost", "dbName", "dbUser", "dbPortRemote",
] as const;

const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d$/;
const list = (key: string, text: string | undefined, problems: string[]): unknown => json(key, text || undefined, problems);

/**
 * Worked example (Pulumi.prod.yaml): region eu-central-1, vpcId and two subnets, an AMI: zdr
 * creates the ALB, target group, security groups and one instance per server.
 */
export function parseAwsConfig(raw: RawConfig, servers: readonly string[]): AwsConfig {
    const problems: string[] = [];
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
    const int = (key: string, fallback: number, min: number, max: number): number => {
        const v = raw[key];
        if (v === undefined || v === "") {
            return fallback;
        }
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
            problems.push(`${namespace}:${key}: must be an integer from ${min} to ${max}; got ${JSON.stringify(v)}`);
            return fallback;
        }
        return Number(v);
    };

    const region = need("awsRegion", regionPattern, "an AWS region such as eu-central-1");
    let create: AwsConfig["create"];
    let existing: AwsConfig["existing"];
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
        existing = { targetGroupArn, instanceIds };
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
    const appPort = int("appPort", 8080, 1, 65535);
    const healthCheckPath = raw.healthCheckPath || "/health";
    if (!healthCheckPath.startsWith("/")) {
        problems.push(`${namespace}:healthCheckPath: must start with /; got ${JSON.stringify(healthCheckPath)}`);
    }
    const deregistrationDelaySeconds = int("deregistrationDelaySeconds", 30, 0, 3600);
    const deployCommand = raw.deployCommand || "sudo /opt/webshop/bin/deploy {version}";
    if (!deployCommand.includes("{version}")) {
        problems.push(`${namespace}:deployCommand: must contain {version}; got ${JSON.stringify(deployCommand)}`);
    }
    const db = {
        host: need("dbHost", /^[A-Za-z0-9.-]+$/, "the PostgreSQL host the migrations run against"),
        port: int("dbPortRemote", 5432, 1, 65535),
        user: raw.dbUser || "webshop",
        database: raw.dbName || "webshop",
    };
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return {
        region, create, existing, appPort, healthCheckPath, deregistrationDelaySeconds,
        sshUser: raw.sshUser || "ubuntu", deployCommand, stopCommand: raw.stopCommand || "sudo systemctl stop webshop", db,
    };
}
