import * as pulumi from "@pulumi/pulumi";
import type { HostsDeployInputs } from "../contract/hosts-deploy";
import { hostsDeployType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link HostsDeploy}; documented on {@link HostsDeployInputs}. */
export type HostsDeployArgs = ArgsOf<HostsDeployInputs>;

/**
 * A version running on a host reached over SSH (zdr:hosts:Deploy): creating it runs the deploy
 * command there and waits for the app's health; deleting it runs the stop command. The SSH
 * connection (with its private key) is always a secret in the state.
 */
export class HostsDeploy extends pulumi.CustomResource {
    declare readonly version: pulumi.Output<string>;
    /** Why the deploy failed (recorded, not thrown; the membership then reattaches nothing). */
    declare readonly failure: pulumi.Output<string | undefined>;

    constructor(name: string, args: HostsDeployArgs, opts?: pulumi.CustomResourceOptions) {
        super(hostsDeployType, name, { ...args, failure: undefined }, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "ssh"] });
    }
}
