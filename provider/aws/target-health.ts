// zdr:aws:TargetHealth — the waits the AWS provider does not do, around an
// aws.lb.TargetGroupAttachment (which registers and deregisters but returns at once).
// create = register (again: idempotent) and wait until the target is in service. Registering
//          here matters in an all-at-once release: the epoch replaces this resource (it drains
//          the target) but not the attachment, which does not take the epoch as an input;
//          With hooks (run on the instance over SSH, as on the hosts target): beforeAllowTraffic
//          first (failing: nothing is registered, the create fails with the hook's output),
//          afterAllowTraffic once in service (failing: deregistered and drained again, then the
//          create fails). The attachment is created after this resource, so nothing registers
//          the target before beforeAllowTraffic passed.
// delete = drain: deregister and wait until the target is deregistered. Deregistering twice is
//          harmless, so whether the engine deletes this or the attachment first, the server is
//          out of the load balancer, with in-flight requests finished, before its deploy goes.
// update = only how the hooks reach the instance (a new key, known hosts) or what they mask.
import type * as provider from "@pulumi/pulumi/provider";
import type { Target } from "../../src/aws/targets";
import { changedKeys } from "../diff";
import { sameHooks, withHooks, type HookOutcome, type MemberHooks } from "../haproxy/member";

export { targetHealthType } from "../../resources/tokens";

export interface TargetHealthInputs extends Target {
    readonly region: string;
    /** Longest wait for in service. */
    readonly healthTimeoutSeconds: number;
    /** Longest wait for the deregistration (the group's deregistration delay and a margin). */
    readonly drainTimeoutSeconds: number;
    /** An AWS API endpoint other than the region's (an emulator in tests). @default - the region's */
    readonly endpoint?: string;
    /** The release epoch's id (components/fleet.ts): a new epoch replaces the resource. @default - none */
    readonly epoch?: string;
    /**
     * The server's name, for `zdr status`; a label only: its change alone replaces nothing, so a
     * resource created before it existed shows its target id until its next replacement.
     * @default - status shows the target id
     */
    readonly server?: string;
    /** The team's hooks around the registration, run on the instance over SSH (`hooks.ssh`). @default - none */
    readonly hooks?: MemberHooks;
}

export interface TargetHealthOutputs extends TargetHealthInputs {
    /** What each hook of the last registration did. @default - no hooks */
    readonly hookResults?: readonly HookOutcome[];
}

/** Inputs that name things for people and change nothing outside the state. */
const labels = ["server"];

// The AWS SDK is loaded on first use: a stack without an ALB target does not pay for it at
// every provider start.
async function aws(i: TargetHealthInputs) {
    const [{ ElasticLoadBalancingV2Client }, targets] = await Promise.all([import("@aws-sdk/client-elastic-load-balancing-v2"), import("../../src/aws/targets")]);
    return { client: new ElasticLoadBalancingV2Client({ region: i.region, ...(i.endpoint ? { endpoint: i.endpoint } : {}) }), ...targets };
}

export const targetHealthProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: TargetHealthOutputs, news: TargetHealthInputs) {
        const changed = changedKeys(olds, news, ["hookResults"]);
        const replaces = changed.filter((k) => !labels.includes(k) && (k !== "hooks" || !sameHooks(olds.hooks, news.hooks)));
        return { changes: changed.length > 0, replaces };
    },
    async create(_urn, inputs: TargetHealthInputs) {
        const { client, attachTarget, drainTarget } = await aws(inputs);
        const hookResults = await withHooks(
            inputs.hooks,
            inputs.server ?? inputs.targetId,
            () => attachTarget(client, inputs, { maxWaitSeconds: inputs.healthTimeoutSeconds }),
            () => drainTarget(client, inputs, { maxWaitSeconds: inputs.drainTimeoutSeconds }),
        );
        return { id: `${inputs.targetGroupArn}/${inputs.targetId}`, outs: { ...inputs, ...(hookResults.length > 0 ? { hookResults } : {}) } };
    },
    async update(_id, _urn, olds: TargetHealthOutputs, news: TargetHealthInputs) {
        return { outs: { ...news, ...(olds.hookResults ? { hookResults: olds.hookResults } : {}) } };
    },
    async delete(_id, _urn, props: TargetHealthInputs) {
        const { client, drainTarget } = await aws(props);
        await drainTarget(client, props, { maxWaitSeconds: props.drainTimeoutSeconds });
    },
};
