// zdr:haproxy:Member — a server's membership in an HAProxy backend, through the runtime API.
// create = reattach: health down, state ready, then wait until HAProxy's own health checks
//          bring it UP (a server leaving maintenance otherwise shows UP before any check ran).
//          With hooks: beforeAllowTraffic runs first (failing: the server stays out),
//          afterAllowTraffic after (failing: drained out again). A failed hook, a reattach that
//          never sees UP (the server is put back in maintenance) or a failed deploy (no reattach
//          at all) is recorded, not thrown: `inLoadBalancer: false` and `failure` with the
//          hook's output, so that the engine never stops while the other servers of the batch
//          are moving; the batch's check fails the `up` (createWithHooks, docs/release-graph.md).
// delete = drain: state drain (no new requests), wait until the server has no session and
//          nothing queued (bounded by the drain timeout), then state maint. A server HAProxy no
//          longer has, or an HAProxy no longer running, has nothing to drain: the delete succeeds.
import { setTimeout as sleep } from "node:timers/promises";
import type * as provider from "@pulumi/pulumi/provider";
import { HaproxyRuntime, isNoSuchServer } from "../../src/haproxy/runtime";
import { SshHost, sshStreamLocal } from "../../src/ssh/client";
import { changedKeys } from "../diff";
import { EventSink, recordEvent } from "../events";
import { hookFailure, HookResult, HookRun, maskSecrets, runHook, secretValues } from "../hook";
import { sshHookRunner } from "../hosts/hook";
import { loadBalancerAlive } from "./load-balancer";

export { memberType } from "../../resources/tokens";

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

/** How much of a hook's output the state and the release report keep. */
export const hookOutputTailChars = 512;

/**
 * The end of a hook's output for the state: every secret the stack knows masked (stackSecrets:
 * the database password, each line of the SSH private key) and the values of the hook's
 * environment variables whose names say they hold a secret (PULUMI_CONFIG_PASSPHRASE,
 * PGPASSWORD, ..._TOKEN, ..._KEY).
 */
export function hookOutputTail(output: string, env: Readonly<Record<string, string | undefined>>, stackSecrets: readonly string[] = []): string {
    return maskSecrets(output, secretValues(env, stackSecrets)).slice(-hookOutputTailChars);
}

/** The runtime API of the member's HAProxy: on this machine, or through SSH on its host. */
export function runtimeOf(m: Pick<MemberInputs, "runtimeApi" | "ssh">): HaproxyRuntime {
    const ssh = m.ssh;
    if (!ssh) {
        return new HaproxyRuntime(m.runtimeApi);
    }
    return new HaproxyRuntime(`${ssh.label ?? ssh.host}:${m.runtimeApi} (over SSH)`, 5000, () => sshStreamLocal(ssh, m.runtimeApi));
}

export async function reattach(m: MemberInputs): Promise<void> {
    const api = runtimeOf(m);
    const timeoutMs = m.healthTimeoutMs ?? 30000;
    recordEvent(m.events, "reattach", "start");
    await api.setServerHealth(m.backend, m.server, "down");
    await api.setServerState(m.backend, m.server, "ready");
    const deadline = Date.now() + timeoutMs;
    let status = "";
    for (let polls = 0; Date.now() < deadline && polls < 100000; polls++) {
        status = (await api.serverStat(m.backend, m.server)).status;
        if (status === "UP") {
            recordEvent(m.events, "reattach", "end");
            return;
        }
        await sleep(50);
    }
    throw new Error(
        `reattach of ${m.backend}/${m.server}: HAProxy does not see it UP after ${timeoutMs} ms (last status: ${status || "none"})`,
    );
}

/**
 * Returns the sessions still open when the drain timeout ended it (0 on a clean drain), or why
 * there was nothing to drain: the HAProxy it belongs to is not running, or no longer has it.
 */
export async function drain(m: MemberInputs): Promise<number | string> {
    if (m.loadBalancer !== undefined && !loadBalancerAlive(m.loadBalancer)) {
        return `HAProxy ${m.loadBalancer} is not running; nothing to drain`;
    }
    const api = runtimeOf(m);
    recordEvent(m.events, "drain", "start");
    try {
        await api.setServerState(m.backend, m.server, "drain");
    } catch (e) {
        if (!isNoSuchServer(e)) {
            throw e;
        }
        recordEvent(m.events, "drain", "end");
        return `HAProxy no longer has ${m.backend}/${m.server}; nothing to drain`;
    }
    const deadline = Date.now() + (m.drainTimeoutMs ?? 30000);
    let open = -1;
    for (let polls = 0; polls < 100000; polls++) {
        const s = await api.serverStat(m.backend, m.server);
        open = s.scur + s.qcur;
        if (open === 0 || Date.now() >= deadline) {
            break;
        }
        await sleep(50);
    }
    await api.setServerState(m.backend, m.server, "maint");
    recordEvent(m.events, "drain", "end");
    return open;
}

/** A failed hook: the message for the up's error, and what every hook that ran did. */
export class HookFailed extends Error {
    constructor(message: string, readonly outcomes: readonly HookOutcome[]) {
        super(message);
        this.name = "HookFailed";
    }
}

/**
 * beforeAllowTraffic, attach, afterAllowTraffic, for any load balancer (HAProxy's runtime API
 * here, an ALB target group in provider/aws/target-health.ts). A failing beforeAllowTraffic
 * throws before the attach (the server stays out); a failing afterAllowTraffic detaches the
 * server again (drain), then throws. Either error (HookFailed) carries the hook's output, secrets
 * masked, and the results of the hooks that ran.
 */
export async function withHooks(
    hooks: MemberHooks | undefined,
    server: string,
    attach: () => Promise<void>,
    detach: () => Promise<unknown>,
    run: (r: HookRun) => Promise<HookResult> = hooks?.ssh ? sshHookRunner(hooks.ssh) : runHook,
): Promise<HookOutcome[]> {
    const outcomes: HookOutcome[] = [];
    const hook = async (name: HookOutcome["hook"], argv: readonly string[] | undefined) => {
        if (!hooks || !argv || argv.length === 0) {
            return undefined;
        }
        const spec: HookRun = { argv, cwd: hooks.cwd, timeoutMs: hooks.timeoutMs, env: hooks.env };
        const r = await run(spec);
        const mask = secretValues({ ...process.env, ...spec.env }, hooks.mask);
        outcomes.push({ hook: name, command: argv.map((a) => maskSecrets(a, mask)), exitCode: r.exitCode, durationMs: r.durationMs, outputTail: maskSecrets(r.output, mask).slice(-hookOutputTailChars) });
        return hookFailure(name, server, spec, r, mask);
    };
    const before = await hook("beforeAllowTraffic", hooks?.beforeAllowTraffic);
    if (before) {
        throw new HookFailed(`${before}\n${server} stays out of the load balancer`, outcomes);
    }
    await attach();
    const after = await hook("afterAllowTraffic", hooks?.afterAllowTraffic);
    if (after) {
        await detach();
        throw new HookFailed(`${after}\n${server} was drained out of the load balancer again`, outcomes);
    }
    return outcomes;
}

/**
 * A membership's create (and its retry): runs `attach` (withHooks) and records the outcome.
 * Nothing a server's own reattach can meet fails the create: a failed hook (HookFailed: the
 * server stayed out, or was drained out again), any other error of the attach (then `detach`
 * takes it out, as far as it can), and a failed deploy (`deployFailure`: nothing is attached)
 * are recorded as `inLoadBalancer: false` with the `failure` and the hooks' results. So the
 * engine, which stops launching steps at the first failed one, lets every other server of the
 * batch finish; the batch's check (zdr:release:BatchCheck) then fails the `up`, and the next up
 * tries again (the diff of a membership recorded out is an update).
 */
export async function createWithHooks<T extends { readonly deployFailure?: string }>(
    id: string,
    server: string,
    inputs: T,
    attach: () => Promise<HookOutcome[]>,
    detach: () => Promise<unknown>,
): Promise<{ id: string; outs: T & Attached }> {
    if (inputs.deployFailure !== undefined) {
        return { id, outs: { ...inputs, inLoadBalancer: false, failure: `${server} stays out of the load balancer: its deploy failed: ${inputs.deployFailure}` } };
    }
    try {
        const hookResults = await attach();
        return { id, outs: { ...inputs, inLoadBalancer: true, ...(hookResults.length > 0 ? { hookResults } : {}) } };
    } catch (e) {
        if (e instanceof HookFailed) {
            return { id, outs: { ...inputs, inLoadBalancer: false, hookResults: e.outcomes, failure: e.message } };
        }
        const left = await detach().then(
            () => `${server} was taken out of the load balancer again`,
            (d: Error) => `taking ${server} out again failed too: ${d.message}`,
        );
        return { id, outs: { ...inputs, inLoadBalancer: false, failure: `${(e as Error).message}\n${left}` } };
    }
}

/** A membership recorded out by createWithHooks: its update tries the create again. */
export const recordedOut = (olds: { readonly inLoadBalancer?: boolean }): boolean => olds.inLoadBalancer === false;

/** A membership's create on HAProxy: hooks and reattach, the outcome recorded (createWithHooks). */
function createMember(m: MemberInputs): Promise<{ id: string; outs: MemberOutputs }> {
    return createWithHooks(`${m.backend}/${m.server}`, m.server, m, () => reattachWithHooks(m), () => runtimeOf(m).setServerState(m.backend, m.server, "maint"));
}

/** withHooks around HAProxy's reattach and drain. */
export function reattachWithHooks(m: MemberInputs, run?: (r: HookRun) => Promise<HookResult>): Promise<HookOutcome[]> {
    return withHooks(m.hooks, m.server, () => reattach(m), () => drain(m), run);
}

/** Whether two hook settings run the same hooks (how they reach their host and what they mask aside). */
export function sameHooks(a: MemberHooks | undefined, b: MemberHooks | undefined): boolean {
    return changedKeys({ hooks: { ...a, ssh: undefined, mask: undefined } }, { hooks: { ...b, ssh: undefined, mask: undefined } }, []).length === 0;
}

export const memberProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: MemberOutputs, news: MemberInputs) {
        // every change replaces (a reattach), except how zdr reaches the hosts (a new key, known hosts)
        const changed = changedKeys(olds, news, ["inLoadBalancer", "hookResults", "failure"]);
        // how the hooks reach their host and what they mask are not what they run
        const replaces = changed.filter((k) => k !== "ssh" && (k !== "hooks" || !sameHooks(olds.hooks, news.hooks)));
        // a membership recorded out is tried again (update)
        return { changes: changed.length > 0 || recordedOut(olds), replaces };
    },
    async update(_id, _urn, olds: MemberOutputs, news: MemberInputs) {
        if (recordedOut(olds)) {
            // a create that recorded the server out (or, before, failed on a hook): the reattach is tried again
            return { outs: (await createMember(news)).outs };
        }
        return { outs: { ...news, inLoadBalancer: olds.inLoadBalancer, ...(olds.hookResults ? { hookResults: olds.hookResults } : {}) } };
    },
    async create(_urn, inputs: MemberInputs) {
        return createMember(inputs);
    },
    async read(id, _urn, props?: MemberOutputs) {
        if (!props) {
            return { id, props: {} };
        }
        if (props.loadBalancer !== undefined && !loadBalancerAlive(props.loadBalancer)) {
            return { id: "", props: {} };
        }
        let stat;
        try {
            stat = await runtimeOf(props).serverStat(props.backend, props.server);
        } catch (e) {
            if (isNoSuchServer(e)) {
                return { id: "", props: {} };
            }
            throw e;
        }
        // A server in maintenance or left draining (a drain whose provider was killed) takes no
        // new requests: it is not a member, and a refresh drops it so that the next up reattaches it.
        if (stat.status.startsWith("MAINT") || stat.status.startsWith("DRAIN")) {
            return { id: "", props: {} };
        }
        return { id, props: { ...props, inLoadBalancer: true } };
    },
    async delete(_id, _urn, props: MemberOutputs) {
        const open = await drain(props);
        if (typeof open === "string") {
            console.error(`zdr: ${open}`);
        } else if (open > 0) {
            console.error(`zdr: drain of ${props.backend}/${props.server} timed out with ${open} session(s) still open`);
        }
    },
};
