import * as pulumi from "@pulumi/pulumi";
import type { HookOutcome, MemberHooks } from "../provider/haproxy/member";
import type { EventSinkArgs } from "./process";

export interface HaproxyMemberArgs {
    /** HAProxy's admin socket: a unix socket path or host:port. */
    readonly runtimeApi: pulumi.Input<string>;
    readonly backend: pulumi.Input<string>;
    /** The server's name in the backend. */
    readonly server: pulumi.Input<string>;
    /** The version the server runs (recorded in the state). */
    readonly version: pulumi.Input<string>;
    /** Longest wait for in-flight requests on drain. @default 30000 */
    readonly drainTimeoutMs?: pulumi.Input<number>;
    /** Longest wait for HAProxy to see the server UP on reattach. @default 30000 */
    readonly healthTimeoutMs?: pulumi.Input<number>;
    /** Where the provider records `drain` and `reattach` start and end. @default - nowhere */
    readonly events?: pulumi.Input<EventSinkArgs>;
    /** The release epoch's id: an all-at-once release replaces it, and so every member. @default - none */
    readonly epoch?: pulumi.Input<string>;
    /** The running HAProxy's identity: a restart replaces the membership (reattach). @default - not tracked */
    readonly loadBalancer?: pulumi.Input<string>;
    /** The server's entry (zdr:haproxy:Server's id): a new entry replaces the membership. @default - none */
    readonly entry?: pulumi.Input<string>;
    /**
     * The team's hooks around the reattach, argv already for this server: a failing
     * beforeAllowTraffic keeps the server out and fails the create with the hook's output.
     * @default - none
     */
    readonly hooks?: pulumi.Input<MemberHooks>;
}

/**
 * A server's membership in an HAProxy backend (zdr:haproxy:Member). Creating it reattaches the
 * server and waits until HAProxy's health check sees it UP; deleting it drains the server.
 */
export class HaproxyMember extends pulumi.CustomResource {
    declare readonly inLoadBalancer: pulumi.Output<boolean>;
    declare readonly version: pulumi.Output<string>;
    /** What each hook of the last reattach did; undefined without hooks. */
    declare readonly hookResults: pulumi.Output<HookOutcome[] | undefined>;

    constructor(name: string, args: HaproxyMemberArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:haproxy:Member", name, { ...args, inLoadBalancer: undefined, hookResults: undefined }, opts);
    }
}
