import * as pulumi from "@pulumi/pulumi";
import type { HookOutcome, MemberInputs } from "../contract/member";
import { memberType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link HaproxyMember}; documented on {@link MemberInputs}. */
export type HaproxyMemberArgs = ArgsOf<MemberInputs>;

/**
 * A server's membership in an HAProxy backend (zdr:haproxy:Member). Creating it reattaches the
 * server and waits until HAProxy's health check sees it UP; deleting it drains the server.
 */
export class HaproxyMember extends pulumi.CustomResource {
    declare readonly inLoadBalancer: pulumi.Output<boolean>;
    declare readonly version: pulumi.Output<string>;
    /** What each hook of the last reattach did; undefined without hooks. */
    declare readonly hookResults: pulumi.Output<HookOutcome[] | undefined>;
    /** Why the server is not in the load balancer after the create (a failed hook, reattach or deploy). */
    declare readonly failure: pulumi.Output<string | undefined>;

    constructor(name: string, args: HaproxyMemberArgs, opts?: pulumi.CustomResourceOptions) {
        super(memberType, name, { ...args, inLoadBalancer: undefined, hookResults: undefined, failure: undefined }, opts);
    }
}
