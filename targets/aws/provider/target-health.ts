// zdr:aws:TargetHealth — the waits the AWS provider does not do, around an
// aws.lb.TargetGroupAttachment (which registers and deregisters but returns at once).
// create = register (again: idempotent) and wait until the target is in service. Registering
//          here matters in an all-at-once release: the epoch replaces this resource (it drains
//          the target) but not the attachment, which does not take the epoch as an input;
//          With hooks (run on the instance over SSH, as on the hosts target): beforeAllowTraffic
//          first (failing: nothing is registered), afterAllowTraffic once in service (failing:
//          deregistered and drained again). A failed hook, a target never in service
//          (deregistered again) or a failed deploy (nothing registered) is recorded, not thrown
//          (`inLoadBalancer: false`, `failure`): the batch's check fails the `up` once every
//          server of the batch finished (provider/haproxy/member.ts createWithHooks). The
//          attachment is created after the batch's check, so nothing registers the target
//          before beforeAllowTraffic passed, nor a target this resource recorded out.
// delete = drain: deregister and wait until the target is deregistered. Deregistering twice is
//          harmless, so whether the engine deletes this or the attachment first, the server is
//          out of the load balancer, with in-flight requests finished, before its deploy goes.
// update = only how the hooks reach the instance (a new key, known hosts) or what they mask.
import type * as provider from "@pulumi/pulumi/provider";
import { changedKeys } from "../../../provider/diff";
import { createWithHooks, recordedOut, sameHooks, withHooks } from "../../../provider/membership";
import type { TargetHealthInputs, TargetHealthOutputs } from "../../../contract/target-health";

export { targetHealthType } from "../../../contract/tokens";

/** Inputs that name things for people and change nothing outside the state. */
const labels = ["server", "version"];

// The AWS SDK is loaded on first use: a stack without an ALB target does not pay for it at
// every provider start.
async function aws(i: TargetHealthInputs) {
    const [{ ElasticLoadBalancingV2Client }, targets] = await Promise.all([import("@aws-sdk/client-elastic-load-balancing-v2"), import("../api/targets")]);
    return { client: new ElasticLoadBalancingV2Client({ region: i.region, ...(i.endpoint ? { endpoint: i.endpoint } : {}) }), ...targets };
}

/** Hooks around register + wait in service; what kept the target out is recorded (see createWithHooks). */
async function register(inputs: TargetHealthInputs) {
    const { client, attachTarget, drainTarget } = await aws(inputs);
    const server = inputs.server ?? inputs.targetId;
    const detach = () => drainTarget(client, inputs, { maxWaitSeconds: inputs.drainTimeoutSeconds });
    return createWithHooks(`${inputs.targetGroupArn}/${inputs.targetId}`, server, inputs, () =>
        withHooks(inputs.hooks, server, () => attachTarget(client, inputs, { maxWaitSeconds: inputs.healthTimeoutSeconds }), detach),
        detach,
    );
}

export const targetHealthProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: TargetHealthOutputs, news: TargetHealthInputs) {
        const changed = changedKeys(olds, news, ["hookResults", "inLoadBalancer", "failure"]);
        const replaces = changed.filter((k) => !labels.includes(k) && (k !== "hooks" || !sameHooks(olds.hooks, news.hooks)));
        // a target recorded out is tried again (update)
        return { changes: changed.length > 0 || recordedOut(olds), replaces };
    },
    async create(_urn, inputs: TargetHealthInputs) {
        return register(inputs);
    },
    async update(_id, _urn, olds: TargetHealthOutputs, news: TargetHealthInputs) {
        if (recordedOut(olds)) {
            // a create that recorded the target out (or, before, failed on a hook): the registration is tried again
            return { outs: (await register(news)).outs };
        }
        return { outs: { ...news, ...(olds.inLoadBalancer !== undefined ? { inLoadBalancer: olds.inLoadBalancer } : {}), ...(olds.hookResults ? { hookResults: olds.hookResults } : {}) } };
    },
    async delete(_id, _urn, props: TargetHealthInputs) {
        const { client, drainTarget } = await aws(props);
        await drainTarget(client, props, { maxWaitSeconds: props.drainTimeoutSeconds });
    },
};
