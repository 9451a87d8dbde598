// `zdr status` on the AWS target: the ALB's view of every target in the group beside the state.
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { targetHealthType } from "../../contract/tokens";
import { fleetFromState } from "../../src/release/fleet-state";
import { hookNote, leftOut, type ResourceState, type ServerStatus, stackServers } from "../../src/status/rows";

/**
 * The AWS target: the ALB's view of every target in the group (DescribeTargetHealth) beside the
 * memberships and versions in the state. The servers' own health is on private addresses,
 * unreachable from most places `zdr status` runs: the running version shows as "not checked".
 */
export async function awsFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const members = resources.filter((r) => r.type === targetHealthType);
    const servers = fleetFromState(stackServers(resources), resources);
    const groups = new Map(members.map((m) => [m.outputs?.targetGroupArn as string, m]));
    const seen = new Map<string, string>(); // target id -> ALB state
    for (const [arn, m] of groups) {
        const client = new ElasticLoadBalancingV2Client({ region: m.outputs?.region, ...(m.outputs?.endpoint ? { endpoint: m.outputs.endpoint } : {}) });
        const r = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        for (const d of r.TargetHealthDescriptions ?? []) {
            seen.set(d.Target?.Id ?? "", d.TargetHealth?.State ?? "unknown");
        }
    }
    const rows = members.map((m): ServerStatus => {
        // `server` is a label of the TargetHealth; a resource created before it had one shows its target id
        const server = (m.outputs?.server as string | undefined) ?? String(m.outputs?.targetId);
        const out = servers.find((s) => s.name === server);
        // "absent": the state names it, the group no longer lists it
        const lbStatus = seen.get(m.outputs?.targetId as string) ?? "absent";
        const hook = hookNote(m.outputs);
        const left = leftOut(server, servers, m.outputs, false);
        if (out && !out.inLoadBalancer) {
            const drift = lbStatus === "healthy" ? [`the ALB sends it traffic though the state has it out`] : [];
            return { server, stateVersion: out.version, runningVersion: "not checked", stateMember: false, lbStatus, drift, ...(hook ? { hook } : {}), ...left };
        }
        const drift = lbStatus === "healthy" ? [] : [`the state has it in the load balancer, the ALB says ${lbStatus}`];
        return { server, stateVersion: out?.version, runningVersion: "not checked", stateMember: true, lbStatus, drift };
    });
    const known = new Set(members.map((m) => m.outputs?.targetId as string));
    for (const [id, state] of seen) {
        if (!known.has(id) && state !== "unused") {
            rows.push({ server: id, runningVersion: "not checked", stateMember: false, lbStatus: state, drift: ["the ALB sends it traffic without a membership in the state"] });
        }
    }
    return rows.sort((a, b) => a.server.localeCompare(b.server));
}

