// Every target's membership (HAProxy's zdr:haproxy:Member, the ALB's zdr:aws:TargetHealth): the
// team's hooks around an attach, and a create that records what happened instead of failing, so
// that a server's failing step never stops its batch-mates (docs/release-graph.md).
import type { Attached, HookOutcome, MemberHooks } from "../contract/member";
import { changedKeys } from "./diff";
import { hookFailure, HookResult, HookRun, maskSecrets, runHook, secretValues } from "./hook";
import { sshHookRunner } from "./hosts/hook";

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

/** A failed hook: the message for the up's error, and what every hook that ran did. */
export class HookFailed extends Error {
    constructor(message: string, readonly outcomes: readonly HookOutcome[]) {
        super(message);
        this.name = "HookFailed";
    }
}

/**
 * beforeAllowTraffic, attach, afterAllowTraffic, for any load balancer (HAProxy's runtime API
 * here, an ALB target group in targets/aws/provider/target-health.ts). A failing beforeAllowTraffic
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

/** Whether two hook settings run the same hooks (how they reach their host and what they mask aside). */
export function sameHooks(a: MemberHooks | undefined, b: MemberHooks | undefined): boolean {
    return changedKeys({ hooks: { ...a, ssh: undefined, mask: undefined } }, { hooks: { ...b, ssh: undefined, mask: undefined } }, []).length === 0;
}
