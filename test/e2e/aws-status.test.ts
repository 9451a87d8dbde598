// `zdr status` on the AWS target: the ALB's view of the target group (moto on loopback) beside
// the memberships and versions in the state, drift flagged.
import { strict as assert } from "node:assert";
import { CreateVpcCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand, DeregisterTargetsCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { fleetStatus, ResourceState } from "../../src/status";
import { Moto, startMoto } from "../support/moto";

describe("zdr status on the AWS target (moto)", function () {
    this.timeout(60_000);
    let moto: Moto;
    let elb: ElasticLoadBalancingV2Client;
    let ids: string[];
    let arn: string;

    /** The state as `pulumi stack export` has it: the stack's `servers` output and the TargetHealth memberships. */
    const state = (servers: string[]): ResourceState[] => [
        { urn: "urn:pulumi:prod::zdr::pulumi:pulumi:Stack::zdr-prod", type: "pulumi:pulumi:Stack", outputs: { servers: servers.map((name, i) => ({ name, version: i === 0 ? "v2" : "v1", inLoadBalancer: true })) } },
        ...servers.map((server, i) => ({ urn: `urn:pulumi:prod::zdr::zdr:fleet:Fleet$zdr:aws:TargetHealth::m${i}`, type: "zdr:aws:TargetHealth", outputs: { targetGroupArn: arn, targetId: ids[i], port: 8080, region: "eu-central-1", endpoint: moto.endpoint, server } })),
    ];

    before(async () => {
        moto = await startMoto();
        const ec2 = new EC2Client(moto.clientConfig);
        elb = new ElasticLoadBalancingV2Client(moto.clientConfig);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }));
        ids = ((await ec2.send(new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 3, MaxCount: 3 }))).Instances ?? []).map((i) => i.InstanceId as string);
        arn = (await elb.send(new CreateTargetGroupCommand({ Name: "webshop", Protocol: "HTTP", Port: 8080, VpcId: vpc.Vpc?.VpcId }))).TargetGroups?.[0].TargetGroupArn as string;
        await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: ids.map((Id) => ({ Id, Port: 8080 })) }));
    });
    after(() => moto?.stop());

    it("shows every member healthy and its version from the state, no drift", async () => {
        const rows = await fleetStatus(state(["web-1", "web-2", "web-3"]));
        assert.deepEqual(rows.map((r) => [r.server, r.stateVersion, r.lbStatus, r.drift.length]), [["web-1", "v2", "healthy", 0], ["web-2", "v1", "healthy", 0], ["web-3", "v1", "healthy", 0]]);
    });

    it("flags a member deregistered behind the state's back, and a target the state does not know", async () => {
        await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: ids[1], Port: 8080 }] }));
        const rows = await fleetStatus(state(["web-1", "web-2"]).concat([]));
        const byServer = Object.fromEntries(rows.map((r) => [r.server, r]));
        assert.deepEqual(byServer["web-2"].drift, ["the state has it in the load balancer, the ALB says absent"]);
        assert.deepEqual(byServer[ids[2]].drift, ["the ALB sends it traffic without a membership in the state"]);
        assert.deepEqual(byServer["web-1"].drift, []);
    });

    it("says a server is left out by its failed beforeAllowTraffic (its TargetHealth recorded out), no drift", async () => {
        // web-2 was deregistered above: its membership's create failed on its hook
        const resources = state(["web-1", "web-2"]).map((r) =>
            r.outputs?.server === "web-2"
                ? { ...r, outputs: { ...r.outputs, version: "v2", inLoadBalancer: false, hookResults: [{ hook: "beforeAllowTraffic", exitCode: 3, durationMs: 800, outputTail: "smoke: /items answered 500\n" }] } }
                : r,
        );
        const rows = await fleetStatus(resources);
        const web2 = rows.find((r) => r.server === "web-2");
        assert.deepEqual([web2?.stateVersion, web2?.stateMember, web2?.lbStatus, web2?.drift, web2?.hook], [
            "v2", false, "absent", [], "left out after its beforeAllowTraffic exited with 3 (v2): smoke: /items answered 500; the next up tries again",
        ]);
    });
});
