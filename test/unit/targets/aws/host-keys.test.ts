// The AWS target's deploy on zdr's SSH path, under mocks: per instance zdr creates, a
// zdr:hosts:HostKey -> the instance's user data (cloud-init ssh_keys, a secret) -> a
// zdr:hosts:Deploy that pins that key (under the instance's id) and logs in with the deploy key
// as a secret; for existing instances, the stack's knownHosts pinned the same way.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig as secretSig, specialSigKey } from "@pulumi/pulumi/runtime";
import { hostKeyOfUserData } from "../../../../targets/aws/api/user-data";
import { recordRegistrations, Registration, value } from "../../../support/mocks";

const servers = ["web-1", "web-2"];
const deployKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-deploy-key-material-not-real\n-----END OPENSSH PRIVATE KEY-----";
const publicOf = (server: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33${servers.indexOf(server)} zdr-${server}`;
const privateOf = (server: string) => `-----BEGIN OPENSSH PRIVATE KEY-----\nhost-key-of-${server}-not-real\n-----END OPENSSH PRIVATE KEY-----\n`;
const existingLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R";
const isSecret = (x: unknown) => !!x && typeof x === "object" && (x as Record<string, unknown>)[specialSigKey] === secretSig;
const unwrap = (x: unknown): unknown => (isSecret(x) ? (x as { value: unknown }).value : x);

const raw = {
    awsRegion: "eu-central-1",
    appPort: "8080",
    dbHost: "webshop-db.internal",
    deployCommand: "sudo /opt/webshop/bin/deploy {version}",
    stopCommand: "sudo systemctl stop webshop",
    sshPrivateKey: deployKey,
    sshUser: "deploy",
};

const hooks = { beforeAllowTraffic: ["/opt/webshop/bin/smoke", "{server}", "{port}"], afterAllowTraffic: [], timeoutSeconds: 30 };

async function build(project: string, config: Record<string, string>, withHooks = false): Promise<Registration[]> {
    const regs = await recordRegistrations("zdr", project, (args) =>
        args.type === "aws:ec2/instance:Instance"
            ? { privateIp: `10.0.1.${servers.indexOf(String(args.inputs.tags?.Name)) + 10}` }
            : args.type === "zdr:hosts:HostKey"
              ? { publicKey: publicOf(String(args.inputs.server)), privateKey: privateOf(String(args.inputs.server)), fingerprint: `SHA256:${args.inputs.server}` }
              : args.type === "aws:lb/targetGroup:TargetGroup"
                ? { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef", arnSuffix: "targetgroup/aws-tg/0123456789abcdef" }
                : {},
        (call) => (call.token === "aws:ec2/getInstance:getInstance" ? { privateIp: "10.0.2.20" } : {}),
    );
    const { AwsEnvironment, AwsTarget } = await import("../../../../targets/aws/environment");
    const { Fleet } = await import("../../../../components/fleet");
    const { Epoch } = await import("../../../../resources/epoch");
    const { parseAwsConfig } = await import("../../../../targets/aws/config");
    const { parseReleaseConfig } = await import("../../../../src/release/config");
    const { planRelease } = await import("../../../../src/release/plan");
    const release = parseReleaseConfig({ servers: JSON.stringify(servers) });
    const aws = parseAwsConfig(config, release);
    const app = { name: "webshop", startCommand: [], stopSignal: "SIGTERM" as const, stopGraceSeconds: 30, healthCheckPath: "/health", schemaVersions: {}, db: { name: "webshop", user: "webshop" }, ...(withHooks ? { hooks } : {}) };
    const env = new AwsEnvironment("aws", { servers, config: aws, app, dbPassword: pulumi.secret("unit-db"), healthCheckIntervalSeconds: 10 });
    const fleet = new Fleet("webshop", {
        plan: planRelease(release),
        epoch: new Epoch("release-epoch", { mode: "staged", release: "v1" }),
        target: new AwsTarget({ environment: env, sshPrivateKey: pulumi.secret(deployKey), healthTimeoutSeconds: 60 }),
    });
    await value(fleet.servers);
    await new Promise((r) => setTimeout(r, 100));
    return regs;
}

const named = (regs: Registration[], type: string, name: string) => {
    const r = regs.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} registered`);
    return r;
};

describe("the AWS target's host keys and SSH deploy (under mocks)", () => {
    describe("instances zdr creates", () => {
        let regs: Registration[];
        before(async () => {
            regs = await build("awshostkeys", {
                ...raw,
                vpcId: "vpc-0a1b2c3d4e5f60718",
                subnetIds: JSON.stringify(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]),
                amiId: "ami-0a1b2c3d4e5f60719",
            }, true);
        });

        for (const server of servers) {
            it(`${server}: zdr makes its host key and hands the pair to the instance in secret user data`, () => {
                const key = named(regs, "zdr:hosts:HostKey", `aws-${server}-host-key`);
                assert.deepEqual(key.inputs.server, server);
                assert.ok(key.additionalSecretOutputs.includes("privateKey"), "the host's private key is a secret in the state");
                const instance = named(regs, "aws:ec2/instance:Instance", `aws-${server}`);
                assert.ok(instance.dependsOn.includes(key.urn), "the instance waits for its key");
                assert.ok(isSecret(instance.inputs.userData), "the user data (with the host's private key) is sent as a secret");
                assert.ok(instance.additionalSecretOutputs.includes("userData"));
                assert.equal(instance.inputs.userDataReplaceOnChange, true, "a new host key boots a new instance (cloud-init installs keys at the first boot)");
                assert.deepEqual(hostKeyOfUserData(String(unwrap(instance.inputs.userData))), { privateKey: privateOf(server), publicKey: publicOf(server) });
            });

            it(`${server}: the deploy runs over zdr's SSH with that key pinned under the instance's id, the deploy key a secret`, () => {
                const instance = named(regs, "aws:ec2/instance:Instance", `aws-${server}`);
                const key = named(regs, "zdr:hosts:HostKey", `aws-${server}-host-key`);
                const deploy = named(regs, "zdr:hosts:Deploy", `webshop-${server}-deploy`);
                assert.ok(deploy.dependsOn.includes(instance.urn) && deploy.dependsOn.includes(key.urn), "the deploy waits for the instance and its key");
                const ssh = deploy.inputs.ssh as Record<string, unknown>;
                assert.ok(isSecret(ssh.privateKey));
                assert.equal(unwrap(ssh.privateKey), deployKey);
                const publicKey = publicOf(server).split(" ").slice(0, 2).join(" ");
                assert.deepEqual(
                    { host: ssh.host, user: ssh.user, knownHosts: ssh.knownHosts, hostKeyAlias: ssh.hostKeyAlias, label: ssh.label, connectTimeoutMs: ssh.connectTimeoutMs },
                    { host: `10.0.1.${servers.indexOf(server) + 10}`, user: "deploy", knownHosts: [`aws-${server}-id ${publicKey}`], hostKeyAlias: `aws-${server}-id`, label: server, connectTimeoutMs: 10_000 },
                );
                assert.deepEqual(
                    { deployCommand: deploy.inputs.deployCommand, stopCommand: deploy.inputs.stopCommand, health: deploy.inputs.health, triggers: deploy.inputs.triggers },
                    {
                        deployCommand: "sudo /opt/webshop/bin/deploy v1",
                        stopCommand: "sudo systemctl stop webshop",
                        health: { address: "127.0.0.1", port: 8080, path: "/health", timeoutMs: 60_000, intervalMs: 500 },
                        triggers: ["v1", "release-epoch-id", `aws-${server}-id`],
                    },
                );
                assert.ok(deploy.additionalSecretOutputs.includes("ssh"), "the connection (with the deploy key) is a secret output");
            });
        }

        for (const server of servers) {
            it(`${server}: the hooks run over SSH on the instance with the same pinned key, from the wait that registers it, before the attachment`, () => {
                const deploy = named(regs, "zdr:hosts:Deploy", `webshop-${server}-deploy`);
                const health = named(regs, "zdr:aws:TargetHealth", `webshop-${server}-member-health`);
                const attachment = named(regs, "aws:lb/targetGroupAttachment:TargetGroupAttachment", `webshop-${server}-member`);
                const h = health.inputs.hooks as Record<string, unknown>;
                assert.deepEqual(
                    { beforeAllowTraffic: h.beforeAllowTraffic, afterAllowTraffic: h.afterAllowTraffic, timeoutMs: h.timeoutMs, cwd: h.cwd, env: h.env },
                    { beforeAllowTraffic: ["/opt/webshop/bin/smoke", server, "8080"], afterAllowTraffic: undefined, timeoutMs: 30_000, cwd: "", env: { ZDR_SERVER: server, ZDR_VERSION: "v1", ZDR_PORT: "8080" } },
                );
                assert.deepEqual(h.ssh, deploy.inputs.ssh, "the deploy's connection: the instance's address, its pinned host key");
                assert.deepEqual((h.mask as unknown[]).map((m) => [isSecret(m), unwrap(m)]), [[true, "unit-db"], [true, deployKey]], "the stack's secrets to mask, sent as secrets");
                assert.ok(health.additionalSecretOutputs.includes("hooks"));
                assert.ok(attachment.dependsOn.includes(health.urn), "nothing registers the target before beforeAllowTraffic passed");
            });
        }

        it("registers no @pulumi/command resource", () => {
            assert.deepEqual(regs.filter((r) => r.type.startsWith("command:")), []);
        });
    });

    describe("existing instances", () => {
        let regs: Registration[];
        before(async () => {
            regs = await build("awshostkeysexisting", {
                ...raw,
                targetGroupArn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef",
                instanceIds: JSON.stringify(["web-1=i-0123456789abcdef0", "web-2=i-0fedcba9876543210"]),
                knownHosts: JSON.stringify([`i-0123456789abcdef0 ${existingLine}`, `i-0fedcba9876543210 ${existingLine}`]),
            });
        });

        it("makes no host key and pins the stack's knownHosts under each instance's id", () => {
            assert.deepEqual(regs.filter((r) => r.type === "zdr:hosts:HostKey"), []);
            for (const [server, id] of [["web-1", "i-0123456789abcdef0"], ["web-2", "i-0fedcba9876543210"]]) {
                const ssh = named(regs, "zdr:hosts:Deploy", `webshop-${server}-deploy`).inputs.ssh as Record<string, unknown>;
                assert.deepEqual(
                    { host: ssh.host, hostKeyAlias: ssh.hostKeyAlias, knownHosts: ssh.knownHosts },
                    { host: "10.0.2.20", hostKeyAlias: id, knownHosts: [`i-0123456789abcdef0 ${existingLine}`, `i-0fedcba9876543210 ${existingLine}`] },
                );
            }
        });
    });
});
