import * as pulumi from "@pulumi/pulumi";
import type { LoadBalancerInputs } from "../contract/haproxy";
import { loadBalancerType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link HaproxyLoadBalancer}; documented on {@link LoadBalancerInputs}. */
export type HaproxyLoadBalancerArgs = ArgsOf<LoadBalancerInputs>;

/**
 * HAProxy in master-worker mode (zdr:haproxy:LoadBalancer). A change of its configuration is a
 * hitless reload that keeps every server and its state; any other change restarts it.
 */
export class HaproxyLoadBalancer extends pulumi.CustomResource {
    declare readonly pid: pulumi.Output<number>;
    /** Which HAProxy runs (`<pid>:<start time>`): servers and memberships are replaced with it. */
    declare readonly identity: pulumi.Output<string>;

    constructor(name: string, args: HaproxyLoadBalancerArgs, opts?: pulumi.CustomResourceOptions) {
        super(loadBalancerType, name, { ...args, pid: undefined, startTicks: undefined, identity: undefined }, opts);
    }
}
