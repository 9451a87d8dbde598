// The whole program (index.ts) under mocks, over the prod stack's own config (Pulumi.prod.yaml)
// with a canary stage: the AWS resources, their inputs and parents, and the options that make the
// engine drain before it deploys, read from the registration requests — and the same graph shape
// as the local target's.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig as secretSig, specialSigKey } from "@pulumi/pulumi/runtime";
import { projectRoot } from "../../../src/engine";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../support/mocks";

const servers = ["web-1", "web-2", "web-3", "web-4"];

/** Pulumi.prod.yaml as the engine hands config to a program: strings, lists as JSON. */
function prodConfig(stage: Record<string, string>): Record<string, string> {
    const file = yaml.load(fs.readFileSync(path.join(projectRoot, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(file.config)) {
        config[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { ...config, ...stage };
}

/**
 * The release graph reduced to roles: per server, which step it is, its delete-first flag, what
 * replaces it, and which earlier step it waits for. Resource types differ between targets; the
 * shape must not.
 */
function shape(regs: Registration[], fleet: string): string[] {
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const parent = regs.find((r) => r.type === "zdr:fleet:Fleet" && r.name === fleet);
    assert.ok(parent, `fleet ${fleet}`);
    const role = (r: Registration) => {
        const m = new RegExp(`^${fleet}-(web-\\d)-(deploy|member|judgement)`).exec(r.name);
        return m ? `${m[1]} ${m[2]}` : undefined;
    };
    // The attachment is a step inside the AWS membership (its TargetHealth stands for it).
    const isStep = (r: Registration | undefined): r is Registration => !!r && r.parent === parent.urn && !!role(r) && r.type !== "aws:lb/targetGroupAttachment:TargetGroupAttachment";
    const steps = regs.filter(isStep);
    return steps.map((r) => {
        const names = (urns: string[]) => urns.map((u) => byUrn.get(u)).filter(isStep).map((d) => role(d)).sort().join(",");
        return `${role(r)}: dbr=${r.deleteBeforeReplace} replaceWith=[${names(r.replaceWith)}] after=[${names(waitsThroughChecks(regs, r))}]`;
    });
}

describe("the prod stack (AWS target) under mocks", () => {
    let regs: Registration[];
    let outputs: { servers: unknown; dashboardUrl?: string; loadBalancerUrl?: string };

    before(async () => {
        regs = await recordRegistrations("zdr", "prod", (args) => {
            switch (args.type) {
                case "aws:lb/targetGroup:TargetGroup":
                    return { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef", arnSuffix: "targetgroup/aws-tg/0123456789abcdef" };
                case "aws:lb/loadBalancer:LoadBalancer":
                    return { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/aws-alb/fedcba9876543210", arnSuffix: "app/aws-alb/fedcba9876543210", dnsName: "aws-alb-1.eu-central-1.elb.amazonaws.com" };
                case "aws:ec2/instance:Instance":
                    return { privateIp: `10.0.1.${servers.indexOf(args.name.replace("aws-", "")) + 10}` };
                case "zdr:hosts:Deploy":
                    // what the provider records when web-2's deploy fails (issue 28)
                    return args.name === "webshop-web-2-deploy" ? { failure: "deploy of web-2 (v1): exit 1" } : {};
                case "zdr:hosts:HostKey":
                    return { publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R zdr-${args.inputs.server}`, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhost\n-----END OPENSSH PRIVATE KEY-----\n" };
                default:
                    return {};
            }
        }, (call) => (call.token === "aws:index/getCallerIdentity:getCallerIdentity" ? { accountId: "123456789012" } : {}));
        const config = prodConfig({ "zdr:releaseVersion": "v2", "zdr:canaryCount": "1", "zdr:bakeSeconds": "600", "zdr:dbPassword": "prod-db-secret", "zdr:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----unit" });
        pulumi.runtime.setAllConfig(config, ["zdr:dbPassword", "zdr:sshPrivateKey"]);
        const program = await (await import("../../../index")).default();
        outputs = {
            servers: await value(program.servers),
            dashboardUrl: await value(program.dashboardUrl as pulumi.Output<string>),
            loadBalancerUrl: await value(program.loadBalancerUrl as pulumi.Output<string>),
        };

        // The local target, built in the same run from the same plan, for the shape comparison.
        const { Fleet } = await import("../../../components/fleet");
        const { LocalEnvironment, LocalTarget } = await import("../../../targets/local/environment");
        const { Epoch } = await import("../../../resources/epoch");
        const { parseReleaseConfig } = await import("../../../src/release/config");
        const { planRelease } = await import("../../../src/release/plan");
        const plan = planRelease(parseReleaseConfig({ servers: JSON.stringify(servers), releaseVersion: "v2", canaryCount: "1" }));
        const environment = new LocalEnvironment("localcmp", { app: { name: "webshop", startCommand: ["node", "server.js", "--port", "{port}"], stopSignal: "SIGTERM" as const, stopGraceSeconds: 5, healthCheckPath: "/health", schemaVersions: {}, db: { name: "webshop", user: "webshop" } }, servers, dir: "/tmp/zdr-unit-cmp", lbPort: 8080, appBasePort: 9101, dbPort: 55432, healthCheckIntervalMs: 250, dbPassword: "x" });
        const { Judgement } = await import("../../../resources/judgement");
        const local = new Fleet("localfleet", {
            plan,
            epoch: new Epoch("localcmp-epoch", { mode: "staged", release: "v2" }),
            target: new LocalTarget({ environment, projectDir: "/srv/app", drainTimeoutSeconds: 5, healthTimeoutSeconds: 5, eventsFile: "/tmp/zdr-unit-cmp/events.jsonl" }),
            judge: (name, server, deploy, opts) => {
                if (server.role !== "canary") {
                    return undefined;
                }
                const resource = new Judgement(name, { requestLog: "/tmp/zdr-unit-cmp/haproxy.log", canary: server.name, version: server.version, deployment: deploy.id, baseline: ["web-2", "web-3", "web-4"], bakeSeconds: 600, accepted: false, reportFile: "/tmp/zdr-unit-cmp/j.json" }, opts);
                return { resource, verdict: resource.verdict };
            },
        });
        await value(local.servers);
        await new Promise((r) => setTimeout(r, 100));
    });

    const find = (type: string, name?: string) => {
        const r = regs.find((x) => x.type === type && (name === undefined || x.name === name));
        assert.ok(r, `${type} ${name ?? ""} registered`);
        return r;
    };
    /** Resources of the program (not of the local fleet built for the comparison). */
    const count = (type: string) => regs.filter((r) => r.type === type && !/::local(cmp|fleet)/.test(r.urn)).length;

    const counts: [string, number][] = [
        ["aws:lb/loadBalancer:LoadBalancer", 1],
        ["aws:lb/listener:Listener", 1],
        ["aws:lb/targetGroup:TargetGroup", 1],
        ["aws:ec2/securityGroup:SecurityGroup", 2],
        ["aws:ec2/instance:Instance", 4],
        ["zdr:hosts:HostKey", 4],
        ["zdr:hosts:Deploy", 4],
        ["command:remote:Command", 0],
        ["aws:lb/targetGroupAttachment:TargetGroupAttachment", 4],
        ["zdr:aws:TargetHealth", 4],
        ["aws:cloudwatch/metricAlarm:MetricAlarm", 6],
        ["aws:cloudwatch/dashboard:Dashboard", 1],
        ["zdr:release:Epoch", 1],
        ["zdr:canary:Judgement", 1],
        ["aws:s3/bucket:Bucket", 1],
        ["zdr:postgres:Migration", 2],
        ["zdr:local:Process", 0],
        ["zdr:haproxy:Member", 0],
    ];
    for (const [type, n] of counts) {
        it(`registers ${n} × ${type}`, () => assert.equal(count(type), n));
    }

    const inputs: [string, string, string, unknown][] = [
        ["the target group's deregistration delay comes from config", "aws:lb/targetGroup:TargetGroup", "deregistrationDelay", 60],
        ["its health check path", "aws:lb/targetGroup:TargetGroup", "healthCheck.path", "/health"],
        ["its health check interval (healthCheckIntervalMs)", "aws:lb/targetGroup:TargetGroup", "healthCheck.interval", 10],
        ["the listener forwards to the target group", "aws:lb/listener:Listener", "defaultActions.0.targetGroupArn", "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef"],
        ["the ALB spans both subnets", "aws:lb/loadBalancer:LoadBalancer", "subnets", ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]],
        ["the canary's deploy installs v2", "zdr:hosts:Deploy", "deployCommand", "sudo /opt/webshop/bin/deploy v2"],
        ["then waits for the app's health on the instance for healthTimeoutSeconds", "zdr:hosts:Deploy", "health", { address: "127.0.0.1", port: 8080, path: "/health", timeoutMs: 300_000, intervalMs: 500 }],
        ["over SSH to its instance", "zdr:hosts:Deploy", "ssh.host", "10.0.1.10"],
        ["as the configured user", "zdr:hosts:Deploy", "ssh.user", "ubuntu"],
        ["pinning the host key zdr made for the instance", "zdr:hosts:Deploy", "ssh.knownHosts", ["aws-web-1-id ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R"]],
        ["a stop is the configured command", "zdr:hosts:Deploy", "stopCommand", "sudo systemctl stop webshop"],
        ["the drain waits up to the deregistration delay and a margin", "zdr:aws:TargetHealth", "drainTimeoutSeconds", 120],
        ["in the configured region", "zdr:aws:TargetHealth", "region", "eu-central-1"],
        ["the migrations run against the configured database", "zdr:postgres:Migration", "connection.host", "webshop-db.internal"],
        ["as the app's database user", "zdr:postgres:Migration", "connection.user", "webshop"],
        ["the first is the folder's V1", "zdr:postgres:Migration", "script", "V1__base_schema.sql"],
    ];
    /** A dotted path into inputs, looking through secret wrappers. */
    const unwrap = (x: unknown): unknown => (x && typeof x === "object" && (x as Record<string, unknown>)[specialSigKey] === secretSig ? (x as { value: unknown }).value : x);
    const get = (o: unknown, dotted: string): unknown => dotted.split(".").reduce<unknown>((x, k) => (unwrap(x) as Record<string, unknown> | undefined)?.[k], o);
    for (const [what, type, key, want] of inputs) {
        it(`${what} (${type.split(":").pop()}.${key})`, () => {
            const r = type === "zdr:hosts:Deploy" ? find(type, "webshop-web-1-deploy") : type === "zdr:aws:TargetHealth" ? find(type, "webshop-web-1-member-health") : find(type);
            assert.deepEqual(get(r.inputs, key), want);
        });
    }

    it("judges the canary from the ALB's access logs, the canary and its baseline named by their targets", () => {
        const j = find("zdr:canary:Judgement");
        assert.equal(j.name, "webshop-web-1-judgement");
        assert.equal(j.inputs.requestLog, undefined);
        assert.deepEqual(j.inputs.albLogs, {
            bucket: "aws-alb-logs-id",
            prefix: "alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/",
            region: "eu-central-1",
            targets: { "web-1": "10.0.1.10:8080", "web-2": "10.0.1.11:8080", "web-3": "10.0.1.12:8080", "web-4": "10.0.1.13:8080" },
        });
        assert.deepEqual(j.inputs.baseline, ["web-2", "web-3", "web-4"]);
        const cw = j.inputs.cloudWatchLogs as { region: string; group: string; streams: Record<string, string> };
        assert.deepEqual([cw.region, cw.group, Object.keys(cw.streams)], ["eu-central-1", "/webshop/app", ["web-1", "web-2", "web-3", "web-4"]]);
        assert.deepEqual(Object.values(cw.streams), servers.map((s) => `aws-${s}-id`), "a stream per instance, named by its id (the mocks id an instance by its name)");
        assert.deepEqual(find("aws:lb/loadBalancer:LoadBalancer").inputs.accessLogs, { bucket: "aws-alb-logs-id", prefix: "alb", enabled: true });
    });

    it("moves only the canary: web-1 deploys v2, the others v1", () => {
        assert.deepEqual(outputs.servers, [
            { name: "web-1", version: "v2", inLoadBalancer: true },
            { name: "web-2", version: "v1", inLoadBalancer: true },
            { name: "web-3", version: "v1", inLoadBalancer: true },
            { name: "web-4", version: "v1", inLoadBalancer: true },
        ]);
        assert.deepEqual(regs.filter((r) => r.type === "zdr:hosts:Deploy").map((r) => (r.inputs.triggers as string[])[0]), ["v2", "v1", "v1", "v1"]);
    });

    it("has the local target's graph shape: deploy delete-first after the previous membership (or the canary's judgement), membership delete-first replaced with its deploy", () => {
        const aws = shape(regs, "webshop");
        assert.equal(aws.length, 9);
        assert.deepEqual(aws, shape(regs, "localfleet").map((l) => l.replace(/localfleet/g, "webshop")));
        assert.deepEqual(aws.slice(0, 4), [
            "web-1 deploy: dbr=true replaceWith=[] after=[]",
            "web-1 member: dbr=true replaceWith=[web-1 deploy] after=[web-1 deploy]",
            "web-1 judgement: dbr=false replaceWith=[] after=[web-1 deploy,web-1 member]",
            "web-2 deploy: dbr=true replaceWith=[] after=[web-1 judgement,web-1 member]",
        ]);
    });

    for (const server of servers) {
        it(`${server}: the attachment and its waits are replaced with the deploy, delete-first, under the fleet`, () => {
            const deploy = find("zdr:hosts:Deploy", `webshop-${server}-deploy`);
            const attachment = find("aws:lb/targetGroupAttachment:TargetGroupAttachment", `webshop-${server}-member`);
            const health = find("zdr:aws:TargetHealth", `webshop-${server}-member-health`);
            const fleet = find("zdr:fleet:Fleet", "webshop");
            for (const r of [deploy, attachment, health]) {
                assert.equal(r.parent, fleet.urn, `${r.name} parent`);
                assert.equal(r.deleteBeforeReplace, true, `${r.name} deleteBeforeReplace`);
            }
            assert.deepEqual(attachment.replaceWith, [deploy.urn]);
            assert.deepEqual(health.replaceWith, [deploy.urn]);
            assert.ok(attachment.dependsOn.includes(health.urn), "the attachment comes after the wait (which registers after beforeAllowTraffic)");
            // and after the batch's check: a target the wait recorded out is never registered by it
            const check = find("zdr:release:BatchCheck", `webshop-${server}-check`);
            assert.ok(attachment.dependsOn.includes(check.urn), "the attachment comes after the batch's check");
            assert.ok(check.dependsOn.includes(health.urn), "the check waits for the membership's wait");
            assert.equal(health.inputs.deployFailure, server === "web-2" ? "deploy of web-2 (v1): exit 1" : undefined, "the deploy's failure reaches the wait, which then registers nothing");
            assert.equal(attachment.inputs.targetId, `aws-${server}-id`);
            const epoch = find("zdr:release:Epoch");
            assert.equal(health.inputs.epoch, `${epoch.name}-id`);
            assert.deepEqual((deploy.inputs.triggers as string[])[1], `${epoch.name}-id`);
        });
    }

    it("keeps the SSH key and the database password secret", () => {
        const ssh = find("zdr:hosts:Deploy", "webshop-web-1-deploy").inputs.ssh as Record<string, Record<string, unknown>>;
        assert.equal(ssh.privateKey[specialSigKey], secretSig, "the deploy key is sent as a secret");
        assert.ok(find("zdr:hosts:Deploy", "webshop-web-1-deploy").additionalSecretOutputs.includes("ssh"), "the connection, key included, is a secret output");
        const userData = find("aws:ec2/instance:Instance").inputs.userData as Record<string, unknown>;
        assert.equal(userData[specialSigKey], secretSig, "the user data, with the host's private key, is sent as a secret");
        const password = (find("zdr:postgres:Migration").inputs.connection as Record<string, Record<string, unknown>>).password;
        assert.equal(password[specialSigKey], secretSig, "the migration's database password is a secret");
        // Outside secret wrappers, neither appears in any registration.
        const withoutSecrets = (x: unknown): unknown =>
            unwrap(x) !== x ? "[secret]" : Array.isArray(x) ? x.map(withoutSecrets) : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, withoutSecrets(v)])) : x;
        assert.doesNotMatch(JSON.stringify(regs.map((r) => withoutSecrets(r.inputs))), /prod-db-secret|BEGIN OPENSSH/);
    });

    it("sets the canary beside the others on the dashboard and exports its URL", () => {
        const body = JSON.parse(find("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string);
        const labels = body.widgets[0].properties.metrics.map((m: unknown[]) => (m[4] as { label: string }).label);
        assert.deepEqual(labels, ["web-1 v2 (canary)", "web-2 v1 (stable)", "web-3 v1 (stable)", "web-4 v1 (stable)"]);
        assert.deepEqual(body.widgets[1].properties.metrics[0], ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "TargetGroup", "targetgroup/aws-tg/0123456789abcdef", "LoadBalancer", "app/aws-alb/fedcba9876543210"]);
        assert.equal(outputs.dashboardUrl, "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards:name=zdr-prod");
        assert.equal(outputs.loadBalancerUrl, "http://aws-alb-1.eu-central-1.elb.amazonaws.com");
    });
});
