// A target's membership in an ALB target group, through the AWS SDK v3: register and wait until
// it is in service; deregister and wait until it is gone (the deregistration delay lets
// in-flight requests finish). Waits are the SDK's own waiters, bounded, and a time-out names
// the target, the group and the state seen last.
import {
    DeregisterTargetsCommand,
    DescribeTargetHealthCommand,
    ElasticLoadBalancingV2Client,
    RegisterTargetsCommand,
    waitUntilTargetDeregistered,
    waitUntilTargetInService,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Target } from "../../../contract/target-health";

export type { Target };

export interface WaitOptions {
    /** Upper bound of the whole wait. */
    readonly maxWaitSeconds: number;
    /** First delay between polls. @default 2 */
    readonly minDelaySeconds?: number;
    /** @default 15 */
    readonly maxDelaySeconds?: number;
}

const describe = (t: Target) => ({ TargetGroupArn: t.targetGroupArn, Targets: [{ Id: t.targetId, Port: t.port }] });
const groupName = (arn: string) => arn.split(":targetgroup/")[1]?.split("/")[0] ?? arn;

/** The target's health state as the load balancer reports it, with its reason when there is one. */
export async function targetState(client: ElasticLoadBalancingV2Client, t: Target): Promise<string> {
    try {
        const r = await client.send(new DescribeTargetHealthCommand(describe(t)));
        const h = r.TargetHealthDescriptions?.[0]?.TargetHealth;
        return h ? `${h.State}${h.Reason ? ` (${h.Reason})` : ""}` : "not listed";
    } catch (e) {
        return `unknown (${(e as Error).name}: ${(e as Error).message})`;
    }
}

async function waitFor(
    what: string,
    waiter: typeof waitUntilTargetInService,
    client: ElasticLoadBalancingV2Client,
    t: Target,
    o: WaitOptions,
): Promise<void> {
    const minDelay = o.minDelaySeconds ?? 2;
    const result = await waiter(
        { client, maxWaitTime: o.maxWaitSeconds, minDelay, maxDelay: Math.max(minDelay, o.maxDelaySeconds ?? 15) },
        describe(t),
    ).catch((e: Error) => ({ state: "FAILURE", reason: e }));
    if (result.state !== "SUCCESS") {
        const last = await targetState(client, t);
        throw new Error(`target ${t.targetId} in target group ${groupName(t.targetGroupArn)}: ${what} after ${o.maxWaitSeconds} s (last state: ${last})`);
    }
}

/** Registers the target and waits until the load balancer has it in service. */
export async function attachTarget(client: ElasticLoadBalancingV2Client, t: Target, o: WaitOptions): Promise<void> {
    await client.send(new RegisterTargetsCommand(describe(t)));
    await waitInService(client, t, o);
}

export function waitInService(client: ElasticLoadBalancingV2Client, t: Target, o: WaitOptions): Promise<void> {
    return waitFor("not in service", waitUntilTargetInService, client, t, o);
}

/** Deregisters the target (no new requests) and waits until the load balancer is done with it. */
export async function drainTarget(client: ElasticLoadBalancingV2Client, t: Target, o: WaitOptions): Promise<void> {
    await client.send(new DeregisterTargetsCommand(describe(t)));
    await waitDeregistered(client, t, o);
}

export function waitDeregistered(client: ElasticLoadBalancingV2Client, t: Target, o: WaitOptions): Promise<void> {
    return waitFor("not deregistered", waitUntilTargetDeregistered, client, t, o);
}
