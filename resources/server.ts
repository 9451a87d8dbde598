import * as pulumi from "@pulumi/pulumi";
import type { ServerInputs } from "../contract/haproxy";
import { serverType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link HaproxyServer}; documented on {@link ServerInputs}. */
export type HaproxyServerArgs = ArgsOf<ServerInputs>;

/**
 * A server's entry in an HAProxy backend (zdr:haproxy:Server): created in maintenance with its
 * health check (`add server`), removed (`del server`) once drained and stopped.
 */
export class HaproxyServer extends pulumi.CustomResource {
    constructor(name: string, args: HaproxyServerArgs, opts?: pulumi.CustomResourceOptions) {
        super(serverType, name, args, opts);
    }
}
