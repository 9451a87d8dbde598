import * as pulumi from "@pulumi/pulumi";
import { serverType, type ServerInputs } from "../provider/haproxy/server";

/** Inputs of {@link HaproxyServer}; documented on {@link ServerInputs}. */
export type HaproxyServerArgs = { readonly [K in keyof ServerInputs]: pulumi.Input<ServerInputs[K]> };

/**
 * A server's entry in an HAProxy backend (zdr:haproxy:Server): created in maintenance with its
 * health check (`add server`), removed (`del server`) once drained and stopped.
 */
export class HaproxyServer extends pulumi.CustomResource {
    constructor(name: string, args: HaproxyServerArgs, opts?: pulumi.CustomResourceOptions) {
        super(serverType, name, args, opts);
    }
}
