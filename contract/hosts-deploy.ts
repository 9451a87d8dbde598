// zdr:hosts:Deploy's inputs and outputs (targets/hosts/provider/deploy.ts), read by `zdr status` too.
import type { EventSink } from "./events";
import type { SshHost } from "./ssh";

export interface HostsDeployInputs {
    /** The host's SSH connection (its private key a secret). */
    readonly ssh: SshHost;
    readonly server: string;
    readonly version: string;
    /** Shell command on the host, `{version}` already replaced. */
    readonly deployCommand: string;
    /** Shell command on the host, `{version}` already replaced. */
    readonly stopCommand: string;
    /** Longest run of each command. @default 300000 */
    readonly commandTimeoutMs?: number;
    /** The app's health check, asked from the host. */
    readonly health: {
        readonly address: string;
        readonly port: number;
        readonly path: string;
        /** Longest wait for a 2xx. */
        readonly timeoutMs: number;
        /** Between two checks. */
        readonly intervalMs: number;
    };
    /** Records `deploy` start and end. @default - no events */
    readonly events?: EventSink;
    /** Any change replaces the deploy (the version, the release epoch). @default - none */
    readonly triggers?: unknown[];
}

export interface HostsDeployOutputs extends HostsDeployInputs {
    /** Why the deploy failed (the command's exit and stderr, or the health poll); the next `up` deploys again. @default - it is deployed and healthy */
    readonly failure?: string;
}
