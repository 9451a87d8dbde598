// The user data zdr gives an EC2 instance it creates: cloud-init's `ssh_keys` with the host key
// zdr made for it (zdr:hosts:HostKey), so that sshd on the instance presents, from its first
// boot, the key the deploy pins. cloud-init's other host keys are not generated (ssh_genkeytypes
// empty) and any present are removed (ssh_deletekeys): the instance has that one host key only.
// Format: cloud-init's cloud-config (https://cloudinit.readthedocs.io, module "SSH", keys
// ssh_keys.<type>_private / <type>_public).
import { dump, load } from "js-yaml";

export interface HostKeyPair {
    /** OpenSSH private key text. */
    readonly privateKey: string;
    /** "ssh-ed25519 AAAA... comment". */
    readonly publicKey: string;
}

const header = "#cloud-config\n";

/** The cloud-config that installs `key` as the instance's only SSH host key. */
export function hostKeyUserData(key: HostKeyPair): string {
    const type = keyTypeOf(key.publicKey);
    return header + dump({
        ssh_deletekeys: true,
        ssh_genkeytypes: [],
        ssh_keys: { [`${type}_private`]: key.privateKey.endsWith("\n") ? key.privateKey : `${key.privateKey}\n`, [`${type}_public`]: key.publicKey.trim() },
    }, { lineWidth: -1 });
}

/**
 * The host key pair a cloud-config installs, read the way cloud-init reads it (a YAML document
 * after `#cloud-config`); undefined when it names none.
 */
export function hostKeyOfUserData(userData: string): HostKeyPair | undefined {
    if (!userData.startsWith(header)) {
        return undefined;
    }
    const doc = load(userData) as { ssh_keys?: Record<string, string> } | undefined;
    const keys = doc?.ssh_keys ?? {};
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
        const privateKey = keys[`${type}_private`];
        const publicKey = keys[`${type}_public`];
        if (privateKey && publicKey) {
            return { privateKey, publicKey };
        }
    }
    return undefined;
}

/** cloud-init's name of a public key's type: ssh-ed25519 -> ed25519, ecdsa-sha2-* -> ecdsa, ssh-rsa -> rsa. */
function keyTypeOf(publicKey: string): string {
    const t = publicKey.trim().split(/\s+/)[0];
    if (t === "ssh-ed25519") {
        return "ed25519";
    }
    if (t.startsWith("ecdsa-sha2-")) {
        return "ecdsa";
    }
    if (t === "ssh-rsa") {
        return "rsa";
    }
    throw new Error(`host key type ${JSON.stringify(t)} is not one cloud-init installs (ed25519, ecdsa, rsa)`);
}
