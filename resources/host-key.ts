import * as pulumi from "@pulumi/pulumi";
import type { HostKeyInputs } from "../contract/host-key";
import { hostKeyType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link HostKey}; documented on {@link HostKeyInputs}. */
export type HostKeyArgs = ArgsOf<HostKeyInputs>;

/**
 * The SSH host key of a host zdr creates (zdr:hosts:HostKey): an ed25519 key pair made by zdr,
 * handed to the instance in its user data and pinned by the deploy. The private key is a secret
 * in the state.
 */
export class HostKey extends pulumi.CustomResource {
    /** "ssh-ed25519 AAAA... zdr-<server>". */
    declare readonly publicKey: pulumi.Output<string>;
    /** OpenSSH private key text (secret). */
    declare readonly privateKey: pulumi.Output<string>;
    declare readonly fingerprint: pulumi.Output<string>;

    constructor(name: string, args: HostKeyArgs, opts?: pulumi.CustomResourceOptions) {
        super(hostKeyType, name, { ...args, publicKey: undefined, privateKey: undefined, fingerprint: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "privateKey"],
        });
    }
}
