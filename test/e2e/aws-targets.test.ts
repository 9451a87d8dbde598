// zdr's own AWS calls (register, deregister and the SDK v3 waiters behind drain and reattach)
// against a real AWS API emulator: moto's server on loopback.
import { strict as assert } from "node:assert";
import { CreateVpcCommand, EC2Client, RunInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { attachTarget, drainTarget, Target, targetState, waitDeregistered, waitInService } from "../../targets/aws/api/targets";
import { targetHealthProvider } from "../../targets/aws/provider/target-health";
import { Moto, startMoto } from "../support/moto";

describe("ALB target membership against moto", function () {
    this.timeout(120_000);
    let moto: Moto;
    let elb: ElasticLoadBalancingV2Client;
    let instances: string[];
    let stopped: string;
    let targetGroupArn: string;
    const quick = { maxWaitSeconds: 3, minDelaySeconds: 1, maxDelaySeconds: 1 };
    const target = (i: number): Target => ({ targetGroupArn, targetId: instances[i], port: 8080 });

    before(async () => {
        moto = await startMoto();
        const ec2 = new EC2Client(moto.clientConfig);
        elb = new ElasticLoadBalancingV2Client(moto.clientConfig);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }));
        const run = await ec2.send(new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 5, MaxCount: 5, InstanceType: "t3.micro" }));
        instances = (run.Instances ?? []).map((i) => i.InstanceId as string);
        stopped = instances[4];
        await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
        const tg = await elb.send(new CreateTargetGroupCommand({ Name: "webshop", Protocol: "HTTP", Port: 8080, VpcId: vpc.Vpc?.VpcId, HealthCheckPath: "/health" }));
        targetGroupArn = tg.TargetGroups?.[0].TargetGroupArn as string;
    });
    after(() => moto?.stop());

    it("reattach registers the target and returns once it is in service", async () => {
        await attachTarget(elb, target(0), quick);
        assert.equal(await targetState(elb, target(0)), "healthy");
    });

    it("drain deregisters the target and returns once the load balancer is done with it", async () => {
        await drainTarget(elb, target(0), quick);
        assert.equal(await targetState(elb, target(0)), "unused (Target.NotRegistered)");
    });

    const timeouts: { name: string; prepare: (t: Target) => Promise<unknown>; wait: typeof waitInService; message: (t: Target) => string }[] = [
        {
            name: "the wait for in service times out on a target nobody registered",
            prepare: async () => undefined,
            wait: waitInService,
            message: (t) => `target ${t.targetId} in target group webshop: not in service after 3 s (last state: unused (Target.NotRegistered))`,
        },
        {
            name: "the wait for deregistration times out on a target still registered",
            prepare: (t) => elb.send(new RegisterTargetsCommand({ TargetGroupArn: t.targetGroupArn, Targets: [{ Id: t.targetId, Port: t.port }] })),
            wait: waitDeregistered,
            message: (t) => `target ${t.targetId} in target group webshop: not deregistered after 3 s (last state: healthy)`,
        },
    ];
    for (const [i, c] of timeouts.entries()) {
        it(`${c.name}, bounded, naming the instance and the last state`, async () => {
            const t = target(i + 1);
            await c.prepare(t);
            const start = Date.now();
            await assert.rejects(c.wait(elb, t, quick), (e: Error) => {
                assert.equal(e.message, c.message(t));
                return true;
            });
            const took = Date.now() - start;
            // The SDK waiter gives up when its next poll would pass the bound.
            assert.ok(took >= 1000 && took <= 3500, `waited ${took} ms for a 3 s bound`);
        });
    }

    it("zdr:aws:TargetHealth registers on create (the all-at-once epoch replaces it, not the attachment) and drains on delete", async () => {
        const t = target(3);
        const inputs = { ...t, region: "eu-central-1", endpoint: moto.endpoint, healthTimeoutSeconds: 3, drainTimeoutSeconds: 3 };
        const created = await targetHealthProvider.create("urn:pulumi:prod::zdr::zdr:aws:TargetHealth::webshop-web-4-member-health", inputs);
        assert.equal(await targetState(elb, t), "healthy");
        await targetHealthProvider.delete(created.id, "urn:pulumi:prod::zdr::zdr:aws:TargetHealth::webshop-web-4-member-health", created.outs);
        assert.equal(await targetState(elb, t), "unused (Target.NotRegistered)");
    });

    it("refuses to register an instance that is not running, with AWS's reason", async () => {
        await assert.rejects(attachTarget(elb, { targetGroupArn, targetId: stopped, port: 8080 }, quick), /not in a running state and cannot be registered: '.*'/);
    });
});
