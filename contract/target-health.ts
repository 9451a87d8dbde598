// zdr:aws:TargetHealth's inputs and outputs (targets/aws/provider/target-health.ts), the program's args derived from them (resources/).
import type { Attached, MemberHooks } from "./member";

/** A target of an ALB target group: an EC2 instance on a port. */
export interface Target {
    readonly targetGroupArn: string;
    /** EC2 instance id. */
    readonly targetId: string;
    readonly port?: number;
}

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
