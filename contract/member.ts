// zdr:haproxy:Member's inputs and outputs (provider/haproxy/member.ts), shared with every target's
// membership (the ALB's zdr:aws:TargetHealth records the same `Attached`), the resource class and the
// state readers (src/release/fleet-state.ts, the release report).
import type { EventSink } from "./events";
import type { SshHost } from "./ssh";

export interface MemberInputs {
    /** The admin socket: a unix socket path or host:port; with `ssh`, the socket's path on that host. */
    readonly runtimeApi: string;
    /**
     * HAProxy's host, when zdr reaches the admin socket through SSH (the hosts target); its
     * private key is a secret. A change (a new key, new known hosts) is applied in place.
     * @default - the socket is on this machine
     */
    readonly ssh?: SshHost;
    readonly backend: string;
    readonly server: string;
    /** The version the server runs; recorded in the state, no effect on HAProxy. */
    readonly version: string;
    /** Longest wait for in-flight requests on drain. @default 30000 */
    readonly drainTimeoutMs?: number;
    /** Longest wait for HAProxy to see the server UP on reattach. @default 30000 */
    readonly healthTimeoutMs?: number;
    /** Where the provider records `drain` and `reattach` start and end. @default - nowhere */
    readonly events?: EventSink;
    /** The release epoch's id (see provider/release/epoch.ts): a new epoch replaces the member. @default - none */
    readonly epoch?: string;
    /**
     * The running HAProxy (zdr:haproxy:LoadBalancer's identity): a new one (a restart) replaces
     * the membership, which reattaches the server. @default - not tracked
     */
    readonly loadBalancer?: string;
    /** The server's entry (zdr:haproxy:Server's id): a new entry replaces the membership. @default - none */
    readonly entry?: string;
    /** The team's hooks around the reattach, argv already for this server. @default - none */
    readonly hooks?: MemberHooks;
    /**
     * Why the server's deploy failed (its `failure` output): the create then reattaches nothing
     * and records the server out of the load balancer. @default - the deploy is healthy
     */
    readonly deployFailure?: string;
}

export interface MemberHooks {
    readonly beforeAllowTraffic?: string[];
    readonly afterAllowTraffic?: string[];
    readonly timeoutMs: number;
    /** Where the hooks run (the project folder; on `ssh`'s host, the login folder when empty). */
    readonly cwd: string;
    /** ZDR_SERVER, ZDR_VERSION, ZDR_PORT for the hooks. */
    readonly env?: Readonly<Record<string, string>>;
    /** Run the hooks on this host over SSH (the server's own, on the hosts target). @default - on this machine */
    readonly ssh?: SshHost;
    /**
     * The stack's secrets (the database password, the SSH private key), masked in the hooks'
     * output in the state, the outputs and the error; the program passes them as secrets.
     * @default - only the hook environment's secret-named values are masked
     */
    readonly mask?: string[];
}

export interface MemberOutputs extends MemberInputs, Attached {}

/** What a membership's create did (every target's: HAProxy's, the ALB's). */
export interface Attached {
    readonly inLoadBalancer: boolean;
    /** What each hook of the last reattach did (exit code, time). @default - no hooks */
    readonly hookResults?: readonly HookOutcome[];
    /**
     * Why the server is not in the load balancer after the create: a failed hook (with its
     * output), a reattach that timed out, a failed deploy. The next `up` tries again.
     * @default - it is in the load balancer
     */
    readonly failure?: string;
}

export interface HookOutcome {
    readonly hook: "beforeAllowTraffic" | "afterAllowTraffic";
    /** The command as it ran (argv, placeholders filled in). @default - not recorded before issue 17's report */
    readonly command?: readonly string[];
    readonly exitCode: number | null;
    readonly durationMs: number;
    /** The end of its output (stdout and stderr), secret-looking environment values masked. @default - not recorded */
    readonly outputTail?: string;
}
