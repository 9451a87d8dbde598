// zdr:hosts:HostKey — the SSH host key of a host zdr creates (an EC2 instance on the AWS target),
// made by zdr itself so that the first connection already knows it: zdr never trusts a host on
// first use. The instance receives the key pair in its user data (cloud-init `ssh_keys`,
// targets/aws/api/user-data.ts); the deploy pins the public key.
// create = a new ed25519 key pair (src/ssh/ed25519.ts; OpenSSH formats). The private key is an
//          output the program marks secret; it never appears in a message.
// update = the label (the server's name) changes in place; the key is kept.
// delete = nothing to undo (the key lives in the state and on the instance only).
import type * as provider from "@pulumi/pulumi/provider";
import { generateEd25519 } from "../../src/ssh/ed25519";
import { fingerprint } from "../../src/ssh/known-hosts";
import type { HostKeyInputs, HostKeyOutputs } from "../../contract/host-key";

export { hostKeyType } from "../../contract/tokens";

/** A new ed25519 host key pair for `server`. */
export function generateHostKey(server: string): Omit<HostKeyOutputs, "server"> {
    const pair = generateEd25519(`zdr-${server}`);
    return { publicKey: pair.publicKey, privateKey: pair.privateKey, fingerprint: fingerprint(pair.publicBlob) };
}

export const hostKeyProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: HostKeyOutputs, news: HostKeyInputs) {
        // nothing replaces the key: a new key would need a new instance to boot with it
        return { changes: olds.server !== news.server, replaces: [] };
    },
    async create(_urn, inputs: HostKeyInputs) {
        const key = generateHostKey(inputs.server);
        return { id: key.fingerprint, outs: { ...inputs, ...key } };
    },
    async read(id, _urn, props?: HostKeyOutputs) {
        return { id, props: props ?? {} };
    },
    async update(_id, _urn, olds: HostKeyOutputs, news: HostKeyInputs) {
        return { outs: { ...olds, ...news } };
    },
    async delete() {
        // the key existed only in the state and on the instance
    },
};
