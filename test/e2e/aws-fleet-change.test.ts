// Adding and removing an instance on the AWS target, against moto's AWS emulator, in the order the
// release graph takes (test/unit/targets/aws/fleet-change.test.ts shows the graph gives that
// order): a new instance is registered and waited for until in service; a removed one is
// deregistered and waited for until the target group is done with it, and only then terminated.
// moto deregisters at once (it does not emulate the deregistration delay) but shows why the order
// matters: an instance terminated while still registered stays "draining" in the target group.
import { strict as assert } from "node:assert";
import { CreateVpcCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { targetHealthProvider } from "../../targets/aws/provider/target-health";
import { attachTarget, targetState } from "../../targets/aws/api/targets";
import { Moto, startMoto } from "../support/moto";

const urn = (server: string) => `urn:pulumi:prod::zdr::zdr:fleet:Fleet$zdr:aws:TargetHealth::webshop-${server}-member-health`;

describe("adding and removing an instance of the ALB target group, against moto", function () {
    this.timeout(120_000);
    let moto: Moto;
    let ec2: EC2Client;
    let elb: ElasticLoadBalancingV2Client;
    let targetGroupArn: string;

    before(async () => {
        moto = await startMoto();
        ec2 = new EC2Client(moto.clientConfig);
        elb = new ElasticLoadBalancingV2Client(moto.clientConfig);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }));
        const tg = await elb.send(new CreateTargetGroupCommand({ Name: "webshop", Protocol: "HTTP", Port: 8080, VpcId: vpc.Vpc?.VpcId, HealthCheckPath: "/health" }));
        targetGroupArn = tg.TargetGroups?.[0].TargetGroupArn as string;
    });
    after(() => moto?.stop());

    const runInstance = async () => {
        const run = await ec2.send(new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }));
        return run.Instances?.[0].InstanceId as string;
    };
    const registered = async () => ((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? []).map((d) => d.Target?.Id);

    it("adds web-5: its new instance is registered and in service before the membership's create returns", async () => {
        const id = await runInstance();
        const inputs = { targetGroupArn, targetId: id, port: 8080, region: "eu-central-1", endpoint: moto.endpoint, healthTimeoutSeconds: 5, drainTimeoutSeconds: 5 };
        const created = await targetHealthProvider.create(urn("web-5"), inputs);
        assert.equal(await targetState(elb, { targetGroupArn, targetId: id, port: 8080 }), "healthy");
        assert.deepEqual(await registered(), [id]);

        // removal, in the graph's order: membership (deregister and wait), then the instance
        await targetHealthProvider.delete(created.id, urn("web-5"), created.outs);
        assert.equal(await targetState(elb, { targetGroupArn, targetId: id, port: 8080 }), "unused (Target.NotRegistered)");
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        assert.deepEqual(await registered(), []);
    });

    it("shows the other order's harm: an instance terminated while registered is left draining", async () => {
        const id = await runInstance();
        const t = { targetGroupArn, targetId: id, port: 8080 };
        await attachTarget(elb, t, { maxWaitSeconds: 5, minDelaySeconds: 1, maxDelaySeconds: 1 });
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        assert.equal(await targetState(elb, t), "draining (Target.DeregistrationInProgress)");
    });
});
