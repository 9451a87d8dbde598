// zdr:hosts:HostKey's inputs and outputs (provider/hosts/host-key.ts), the program's args derived from them (resources/).

export interface HostKeyInputs {
    /** The server the key is for: the public key's comment. */
    readonly server: string;
}

export interface HostKeyOutputs extends HostKeyInputs {
    /** "ssh-ed25519 AAAA... zdr-<server>", as in an OpenSSH .pub file. */
    readonly publicKey: string;
    /** OpenSSH private key text; a secret in the state. */
    readonly privateKey: string;
    /** SHA256:..., as ssh-keygen -l prints it. */
    readonly fingerprint: string;
}
