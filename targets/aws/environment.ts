import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../../src/release/app-config";
import type { MemberHooks } from "../../contract/member";
import type { ArgsOf } from "../../resources/args";
import type { AwsConfig } from "./config";
import { hostKeyUserData } from "./api/user-data";
import { HostKey } from "../../resources/host-key";
import type { HostsDeploy, HostsDeployArgs } from "../../resources/hosts-deploy";
import { sshDeploy } from "../hosts/environment";
import type { JudgementArgs } from "../../resources/judgement";
import type { PostgresConnectionArgs } from "../../resources/migration";
import type { ServerPlan } from "../../src/release/plan";
import { TargetHealth } from "../../resources/target-health";
import { type Environment, type FleetTarget, type Membership, memberHooks } from "../../components/fleet";

export interface AwsEnvironmentArgs {
    readonly servers: readonly string[];
    readonly config: AwsConfig;
    /** The application: health-check path, deploy and database names. */
    readonly app: AppConfig;
    /** The database password; pass a Pulumi secret. @default - none: the app has no migrations (config.db unset) */
    readonly dbPassword?: pulumi.Input<string>;
    /** HAProxy-like health-check interval of the target group. */
    readonly healthCheckIntervalSeconds: number;
}

export interface AwsHost {
    readonly instanceId: pulumi.Output<string>;
    readonly privateIp: pulumi.Output<string>;
    /**
     * known_hosts lines naming the instance's host key under its id (SshHost.hostKeyAlias): the
     * key zdr made for an instance it creates, else the stack's knownHosts.
     */
    readonly knownHosts: pulumi.Output<string[]>;
}

/**
 * The fleet's place on AWS: an Application Load Balancer with a listener, a target group (health
 * check and deregistration delay from config), security groups and one EC2 instance per server —
 * or, with `existing`, a target group and instances the stack only names.
 */
export class AwsEnvironment extends pulumi.ComponentResource implements Environment {
    readonly provider: aws.Provider;
    readonly connection?: PostgresConnectionArgs;
    readonly targetGroupArn: pulumi.Output<string>;
    /** "targetgroup/name/id", for CloudWatch dimensions. */
    readonly targetGroupArnSuffix: pulumi.Output<string>;
    /** "app/name/id", for CloudWatch dimensions; undefined for an existing target group. */
    readonly loadBalancerArnSuffix?: pulumi.Output<string>;
    readonly lbUrl?: pulumi.Output<string>;
    /** Where the ALB writes its access logs (the canary's evidence); undefined for an existing target group. */
    readonly accessLogs?: { readonly bucket: pulumi.Output<string>; readonly prefix: pulumi.Output<string> };
    readonly hosts: Readonly<Record<string, AwsHost>>;

    constructor(name: string, readonly args: AwsEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:aws:AwsEnvironment", name, {}, opts);
        const c = args.config;
        if (c.db && args.dbPassword !== undefined) {
            this.connection = { host: c.db.host, port: c.db.port, user: args.app.db.user, database: args.app.db.name, password: pulumi.secret(args.dbPassword) };
        }
        this.provider = new aws.Provider(`${name}-aws`, { region: c.region as aws.Region }, { parent: this });
        const o = { parent: this, provider: this.provider };
        const hosts: Record<string, AwsHost> = {};

        if (c.existing) {
            this.targetGroupArn = pulumi.output(c.existing.targetGroupArn);
            this.targetGroupArnSuffix = pulumi.output(`targetgroup/${c.existing.targetGroupArn.split(":targetgroup/")[1]}`);
            for (const server of args.servers) {
                const instance = aws.ec2.getInstanceOutput({ instanceId: c.existing.instanceIds[server] }, o);
                hosts[server] = { instanceId: pulumi.output(c.existing.instanceIds[server]), privateIp: instance.privateIp, knownHosts: pulumi.output([...c.existing.knownHosts]) };
            }
        } else {
            const create = c.create;
            const lbSg = new aws.ec2.SecurityGroup(`${name}-lb`, {
                vpcId: create.vpcId,
                description: "zdr: HTTP from anywhere to the load balancer",
                ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            }, o);
            const appSg = new aws.ec2.SecurityGroup(`${name}-app`, {
                vpcId: create.vpcId,
                description: "zdr: the app port from the load balancer, SSH for deploys",
                ingress: [
                    { protocol: "tcp", fromPort: c.appPort, toPort: c.appPort, securityGroups: [lbSg.id] },
                    { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [create.sshCidr] },
                ],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            }, o);
            // Access logs: the per-request evidence the canary judge reads (targets/aws/evidence/alb-log.ts).
            const logs = new aws.s3.Bucket(`${name}-alb-logs`, { forceDestroy: false }, o);
            const account = aws.getCallerIdentityOutput({}, o).accountId;
            const logPolicy = new aws.s3.BucketPolicy(`${name}-alb-logs`, {
                bucket: logs.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [{
                        Effect: "Allow",
                        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: pulumi.interpolate`${logs.arn}/alb/AWSLogs/${account}/*`,
                    }],
                }),
            }, o);
            const lb = new aws.lb.LoadBalancer(`${name}-alb`, {
                loadBalancerType: "application",
                securityGroups: [lbSg.id],
                subnets: [...create.subnetIds],
                accessLogs: { bucket: logs.id, prefix: "alb", enabled: true },
            }, { ...o, dependsOn: [logPolicy] });
            this.accessLogs = { bucket: logs.id, prefix: pulumi.interpolate`alb/AWSLogs/${account}/elasticloadbalancing/${c.region}/` };
            const tg = new aws.lb.TargetGroup(`${name}-tg`, {
                vpcId: create.vpcId,
                port: c.appPort,
                protocol: "HTTP",
                targetType: "instance",
                deregistrationDelay: c.deregistrationDelaySeconds,
                healthCheck: {
                    path: args.app.healthCheckPath,
                    interval: args.healthCheckIntervalSeconds,
                    timeout: Math.max(2, Math.min(args.healthCheckIntervalSeconds - 1, 10)),
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                    matcher: "200-299",
                },
            }, o);
            new aws.lb.Listener(`${name}-http`, {
                loadBalancerArn: lb.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
            }, o);
            args.servers.forEach((server, i) => {
                // the instance's SSH host key, made by zdr and given to it at its first boot: the
                // deploy's first connection already knows the key (never trust on first use)
                const hostKey = new HostKey(`${name}-${server}-host-key`, { server }, { parent: this });
                const instance = new aws.ec2.Instance(`${name}-${server}`, {
                    ami: create.amiId,
                    instanceType: create.instanceType,
                    subnetId: create.subnetIds[i % create.subnetIds.length],
                    vpcSecurityGroupIds: [appSg.id],
                    tags: { Name: server, "zdr:server": server },
                    // a new host key needs a new instance: cloud-init installs it at the first boot only
                    userData: pulumi.secret(pulumi.all([hostKey.privateKey, hostKey.publicKey]).apply(([privateKey, publicKey]) => hostKeyUserData({ privateKey, publicKey }))),
                    userDataReplaceOnChange: true,
                }, { ...o, additionalSecretOutputs: ["userData"] });
                hosts[server] = {
                    instanceId: instance.id,
                    privateIp: instance.privateIp,
                    knownHosts: pulumi.all([instance.id, hostKey.publicKey]).apply(([id, publicKey]) => [`${id} ${publicKey.split(/\s+/).slice(0, 2).join(" ")}`]),
                };
            });
            this.targetGroupArn = tg.arn;
            this.targetGroupArnSuffix = tg.arnSuffix;
            this.loadBalancerArnSuffix = lb.arnSuffix;
            this.lbUrl = pulumi.interpolate`http://${lb.dnsName}`;
        }
        this.hosts = hosts;
        this.registerOutputs({ targetGroupArn: this.targetGroupArn, url: this.lbUrl });
    }

    /**
     * The ALB's access logs, when zdr created the ALB (else no evidence: bakeSeconds must be 0), and
     * the servers' own lines in CloudWatch Logs when the app names its group (appLogGroup).
     */
    canaryEvidence(canary: string, baseline: readonly string[]): Pick<JudgementArgs, "albLogs" | "cloudWatchLogs" | "cloudWatchMetrics"> {
        const c = this.args.config;
        const logs = this.args.app.logs;
        const stream = (s: string) => this.hosts[s].instanceId.apply((id) => (logs?.stream ?? "{instanceId}").split("{server}").join(s).split("{instanceId}").join(id));
        return {
            // the metric checks' values per instance (targets/aws/evidence/cloudwatch-metrics.ts)
            cloudWatchMetrics: { region: c.region, instances: Object.fromEntries([canary, ...baseline].map((s) => [s, this.hosts[s].instanceId])) },
            ...(logs?.group ? { cloudWatchLogs: { region: c.region, group: logs.group, streams: Object.fromEntries([canary, ...baseline].map((s) => [s, stream(s)])) } } : {}),
            albLogs: this.accessLogs && {
                ...this.accessLogs,
                region: c.region,
                targets: Object.fromEntries([canary, ...baseline].map((s) => [s, pulumi.interpolate`${this.hosts[s].privateIp}:${c.appPort}`])),
            },
        };
    }
}

export interface AwsTargetArgs {
    readonly environment: AwsEnvironment;
    /** The SSH key of the deploy user: a Pulumi secret. */
    readonly sshPrivateKey: pulumi.Input<string>;
    readonly healthTimeoutSeconds: number;
}

/**
 * Servers as EC2 instances in an ALB target group. Deploy: zdr:hosts:Deploy, as on the hosts
 * target (zdr's SSH transport, the instance's host key pinned: the deploy command, then a bounded
 * health poll from the instance itself; a failed deploy keeps the server out). Membership: a
 * zdr:aws:TargetHealth that registers and waits, with the AWS SDK v3 waiters (in service on
 * create, the team's hooks around that over SSH on the instance; deregistered, drained, on
 * delete), and an aws.lb.TargetGroupAttachment after it (registers, deregisters, does not wait).
 */
export class AwsTarget implements FleetTarget {
    constructor(private readonly args: AwsTargetArgs) {}

    /** How zdr logs in to a server's instance: its private address, its host key under its id. */
    ssh(server: string): HostsDeployArgs["ssh"] {
        const env = this.args.environment;
        const c = env.args.config;
        const host = env.hosts[server];
        return {
            host: host.privateIp,
            user: c.sshUser,
            privateKey: pulumi.secret(this.args.sshPrivateKey),
            knownHosts: host.knownHosts,
            hostKeyAlias: host.instanceId,
            label: server,
            connectTimeoutMs: c.sshTimeoutSeconds * 1000,
        };
    }

    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): HostsDeploy {
        const env = this.args.environment;
        return sshDeploy(name, server, {
            settings: env.args.config,
            app: env.args.app,
            ssh: this.ssh(server.name),
            // asked from the instance itself
            healthAddress: "127.0.0.1",
            healthTimeoutSeconds: this.args.healthTimeoutSeconds,
            // a new instance (a new host key, a new AMI) gets the version deployed again
            triggers: [server.version, epoch, env.hosts[server.name].instanceId],
        }, opts);
    }

    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions, _entry?: pulumi.CustomResource, deployFailure?: pulumi.Output<string | undefined>): Membership {
        const env = this.args.environment;
        const c = env.args.config;
        const hooks = this.hooks(server);
        // The wait first (it registers the target itself, after beforeAllowTraffic passed), the
        // attachment after the batch's check: nothing registers the target before the hook, nor
        // a target the wait recorded out (the check fails then). Deletes run in reverse: the
        // attachment deregisters, then the wait drains, then the deploy stops.
        const health = new TargetHealth(`${name}-health`, {
            targetGroupArn: env.targetGroupArn,
            targetId: env.hosts[server.name].instanceId,
            port: c.appPort,
            region: c.region,
            healthTimeoutSeconds: this.args.healthTimeoutSeconds,
            // the deregistration delay, plus a margin for the load balancer's own bookkeeping
            drainTimeoutSeconds: c.deregistrationDelaySeconds + 60,
            epoch,
            server: server.name,
            version: server.version,
            ...(hooks ? { hooks } : {}),
            deployFailure,
        }, opts);
        const afterCheck = (check: pulumi.Resource) => {
            new aws.lb.TargetGroupAttachment(`${name}`, {
                targetGroupArn: env.targetGroupArn,
                targetId: health.targetId,
                port: c.appPort,
            }, { ...opts, dependsOn: [...toArray(opts.dependsOn), health, check], provider: env.provider });
        };
        // a state from before the outcome was recorded has no inLoadBalancer: the target is in
        const inLoadBalancer = health.inLoadBalancer.apply((i) => i !== false);
        return { resource: health, inLoadBalancer, failure: health.failure, afterCheck, ...(hooks ? { hookResults: health.hookResults } : {}) };
    }

    /** The app's hooks for one server, run on its instance over SSH; undefined when it has none. */
    private hooks(server: ServerPlan): ArgsOf<MemberHooks> | undefined {
        const env = this.args.environment;
        return memberHooks(env.args.app, server, env.args.config.appPort, { cwd: "", ssh: this.ssh(server.name) }, [...(env.args.dbPassword !== undefined ? [env.args.dbPassword] : []), this.args.sshPrivateKey]);
    }
}

export interface AwsMonitorsArgs {
    readonly environment: AwsEnvironment;
    readonly servers: readonly ServerPlan[];
}

/**
 * CloudWatch alarms and a dashboard that set the canary instances beside the others: per
 * instance CPU and status checks, labelled with their version, and the target group's 5xx count
 * and response time.
 */
export class AwsMonitors extends pulumi.ComponentResource {
    readonly dashboardUrl: pulumi.Output<string>;

    constructor(name: string, args: AwsMonitorsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:aws:AwsMonitors", name, {}, opts);
        const env = args.environment;
        const o = { parent: this, provider: env.provider };
        const region = env.args.config.region;
        const tgDims = env.loadBalancerArnSuffix
            ? pulumi.all([env.targetGroupArnSuffix, env.loadBalancerArnSuffix]).apply(([tg, lb]) => ({ TargetGroup: tg, LoadBalancer: lb }))
            : env.targetGroupArnSuffix.apply((tg) => ({ TargetGroup: tg }));

        new aws.cloudwatch.MetricAlarm(`${name}-5xx`, {
            alarmDescription: "zdr: the fleet's targets answer 5xx",
            namespace: "AWS/ApplicationELB",
            metricName: "HTTPCode_Target_5XX_Count",
            dimensions: tgDims,
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 2,
            threshold: 10,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        }, o);
        new aws.cloudwatch.MetricAlarm(`${name}-latency`, {
            alarmDescription: "zdr: the fleet's p99 response time",
            namespace: "AWS/ApplicationELB",
            metricName: "TargetResponseTime",
            dimensions: tgDims,
            extendedStatistic: "p99",
            period: 60,
            evaluationPeriods: 3,
            threshold: 1,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
        }, o);
        for (const s of args.servers) {
            new aws.cloudwatch.MetricAlarm(`${name}-${s.name}-status`, {
                alarmDescription: `zdr: ${s.name} (${s.version}, ${s.role}) fails its EC2 status checks`,
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed",
                dimensions: { InstanceId: env.hosts[s.name].instanceId },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 2,
                threshold: 0,
                comparisonOperator: "GreaterThanThreshold",
            }, o);
        }

        const perInstance = pulumi.all(args.servers.map((s) => env.hosts[s.name].instanceId)).apply((ids) =>
            ids.map((id, i) => ["AWS/EC2", "CPUUtilization", "InstanceId", id, { label: `${args.servers[i].name} ${args.servers[i].version} (${args.servers[i].role})` }]),
        );
        const body = pulumi.all([perInstance, tgDims]).apply(([cpu, dims]) => {
            const tg = Object.entries(dims).flat();
            return JSON.stringify({
                widgets: [
                    { type: "metric", x: 0, y: 0, width: 12, height: 6, properties: { title: "CPU per instance: canaries beside the others", region, metrics: cpu, stat: "Average", period: 60 } },
                    { type: "metric", x: 12, y: 0, width: 12, height: 6, properties: { title: "Target 5xx", region, metrics: [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...tg]], stat: "Sum", period: 60 } },
                    { type: "metric", x: 0, y: 6, width: 12, height: 6, properties: { title: "Target response time p50 / p99", region, metrics: [["AWS/ApplicationELB", "TargetResponseTime", ...tg, { stat: "p50" }], ["AWS/ApplicationELB", "TargetResponseTime", ...tg, { stat: "p99" }]], period: 60 } },
                    { type: "metric", x: 12, y: 6, width: 12, height: 6, properties: { title: "Healthy / unhealthy targets", region, metrics: [["AWS/ApplicationELB", "HealthyHostCount", ...tg], ["AWS/ApplicationELB", "UnHealthyHostCount", ...tg]], stat: "Minimum", period: 60 } },
                ],
            });
        });
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: `zdr-${pulumi.getStack()}`, dashboardBody: body }, o);
        this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboard.dashboardName}`;
        this.registerOutputs({ dashboardUrl: this.dashboardUrl });
    }
}

function toArray(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) {
        return [];
    }
    return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
