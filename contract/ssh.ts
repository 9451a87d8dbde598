// How zdr reaches a host over SSH: the shape the hosts and AWS targets' resources carry in their
// inputs (src/ssh/client.ts connects with it).
export interface SshHost {
    /** Address or DNS name. */
    readonly host: string;
    /** @default 22 */
    readonly port?: number;
    readonly user: string;
    /** OpenSSH or PEM private key text (a Pulumi secret in the program and the state). */
    readonly privateKey: string;
    /** known_hosts lines; the host's key must be among those for host (and port), or for hostKeyAlias. */
    readonly knownHosts: string[];
    /**
     * The name the host's key is listed under in knownHosts instead of its address and port, as
     * OpenSSH's HostKeyAlias: an EC2 instance's id, whose private address the stack does not know
     * before the instance exists. @default - host (and port)
     */
    readonly hostKeyAlias?: string;
    /** Names the host in messages, e.g. "web-1". @default - the address */
    readonly label?: string;
    /** Longest wait for the connection and its handshake. @default 10000 */
    readonly connectTimeoutMs?: number;
}
