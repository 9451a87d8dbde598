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
import type { Target } from "../api/targets";
import { changedKeys } from "../../../provider/diff";
import { createWithHooks, recordedOut, sameHooks, withHooks } from "../../../provider/membership";
import type { Attached, MemberHooks } from "../../../contract/member";

export { targetHealthType } from "../../../contract/tokens";

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
    /** The version the server runs, for the report and `zdr status`; a label only, like `server`. @default - not recorded */
    readonly version?: string;
    /** The team's hooks around the registration, run on the instance over SSH (`hooks.ssh`). @default - none */
    readonly hooks?: MemberHooks;
    /** Why the server's deploy failed: nothing is registered, the server is recorded out. @default - the deploy is healthy */
    readonly deployFailure?: string;
}

/** `inLoadBalancer` false after a create that recorded the target out (not registered; the next up tries again); absent in states from before it was recorded. */
export interface TargetHealthOutputs extends TargetHealthInputs, Partial<Attached> {}

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
