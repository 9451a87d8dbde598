// Adding and removing a server on the AWS target, read from the registrations under mocks: a new
// server gets its instance, deploy and membership (attachment + TargetHealth, which waits until
// the target is in service, then the attachment); and the dependencies that make the engine
// delete a removed server's membership (deregister, waiting out the deregistration delay) before
// its deploy's stop and before its instance, since deletes run in reverse dependency order.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../../support/mocks";

const five = ["web-1", "web-2", "web-3", "web-4", "web-5"];

describe("the AWS target when a server is added or removed (under mocks)", () => {
    let regs: Registration[];

    before(async () => {
        regs = await recordRegistrations("zdr", "awsfleet", (args) =>
            args.type === "aws:ec2/instance:Instance"
                ? { privateIp: `10.0.1.${five.indexOf(args.name.replace("aws-", "")) + 10}` }
                : args.type === "aws:lb/targetGroup:TargetGroup"
                  ? { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef", arnSuffix: "targetgroup/aws-tg/0123456789abcdef" }
                  : args.type === "zdr:hosts:HostKey"
                    ? { publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R zdr-${args.inputs.server}`, privateKey: "unit-host-key" }
                    : {},
        );
        const { AwsEnvironment, AwsTarget } = await import("../../../../targets/aws/environment");
        const { Fleet } = await import("../../../../components/fleet");
        const { Epoch } = await import("../../../../resources/epoch");
        const { parseAwsConfig } = await import("../../../../targets/aws/config");
        const { parseReleaseConfig } = await import("../../../../src/release/config");
        const { planRelease } = await import("../../../../src/release/plan");
        const raw = {
            awsRegion: "eu-central-1",
            vpcId: "vpc-0a1b2c3d4e5f60718",
            subnetIds: JSON.stringify(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]),
            amiId: "ami-0a1b2c3d4e5f60719",
            deregistrationDelaySeconds: "60",
            dbHost: "webshop-db.internal",
            deployCommand: "sudo /opt/webshop/bin/deploy {version}",
            stopCommand: "sudo systemctl stop webshop",
            sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----unit",
        };
        const config = parseAwsConfig(raw, parseReleaseConfig({ servers: JSON.stringify(five) }));
        const app = { name: "webshop", startCommand: [], stopSignal: "SIGTERM" as const, stopGraceSeconds: 30, healthCheckPath: "/health", schemaVersions: {}, db: { name: "webshop", user: "webshop" } };
        const env = new AwsEnvironment("aws", { servers: five, config, app, dbPassword: pulumi.secret("unit-db"), healthCheckIntervalSeconds: 10 });
        const fleet = new Fleet("webshop", {
            plan: planRelease(parseReleaseConfig({ servers: JSON.stringify(five) })),
            epoch: new Epoch("release-epoch", { mode: "staged", release: "v1" }),
            target: new AwsTarget({ environment: env, sshPrivateKey: pulumi.secret("unit-key"), healthTimeoutSeconds: 300 }),
        });
        await value(fleet.servers);
        await new Promise((r) => setTimeout(r, 100));
    });

    const find = (type: string, name: string) => {
        const r = regs.find((x) => x.type === type && x.name === name);
        assert.ok(r, `${type} ${name} registered`);
        return r;
    };

    it("gives the added server web-5 an instance, a deploy, a target-group attachment and a wait for in service", () => {
        const instance = find("aws:ec2/instance:Instance", "aws-web-5");
        const attachment = find("aws:lb/targetGroupAttachment:TargetGroupAttachment", "webshop-web-5-member");
        const health = find("zdr:aws:TargetHealth", "webshop-web-5-member-health");
        const deploy = find("zdr:hosts:Deploy", "webshop-web-5-deploy");
        assert.equal(attachment.inputs.targetId, "aws-web-5-id", "the attachment registers the new instance");
        assert.equal(instance.inputs.ami, "ami-0a1b2c3d4e5f60719");
        assert.deepEqual({ targetId: health.inputs.targetId, healthTimeoutSeconds: health.inputs.healthTimeoutSeconds }, { targetId: "aws-web-5-id", healthTimeoutSeconds: 300 });
        assert.ok(waitsThroughChecks(regs, deploy).includes(find("zdr:aws:TargetHealth", "webshop-web-4-member-health").urn), "web-5 deploys after web-4 is in service");
    });

    for (const server of five) {
        it(`removes ${server} in the safe order: deregistered (waiting out the 60 s delay) before its deploy stops and before its instance goes`, () => {
            const instance = find("aws:ec2/instance:Instance", `aws-${server}`);
            const attachment = find("aws:lb/targetGroupAttachment:TargetGroupAttachment", `webshop-${server}-member`);
            const health = find("zdr:aws:TargetHealth", `webshop-${server}-member-health`);
            const deploy = find("zdr:hosts:Deploy", `webshop-${server}-deploy`);
            // Deletes run in reverse dependency order: a resource goes before everything it depends on.
            assert.ok(attachment.dependsOn.includes(health.urn), "the attachment (deregister) goes before the wait (deregister + wait)");
            assert.ok(health.dependsOn.includes(deploy.urn), "the membership is deleted before the deploy stops the app");
            assert.ok(health.dependsOn.includes(instance.urn), "the membership goes before the instance");
            assert.ok(deploy.dependsOn.includes(instance.urn), "the deploy's stop runs on the instance before it goes");
            assert.equal(health.inputs.drainTimeoutSeconds, 120, "the drain waits for the deregistration delay (60 s) plus a margin");
        });
    }
});
