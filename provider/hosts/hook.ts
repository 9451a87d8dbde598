// A team's lifecycle hook (beforeAllowTraffic, afterAllowTraffic) run on the server's own host
// over SSH (the hosts target): the same argv, environment and time limit as on the local
// default, and the same result (exit code, time, the last 4 KiB of its output) for the error and
// the state. A host that cannot be reached, or a hook past its limit, is a failed hook.
import { shellQuote, sshRun } from "../../src/ssh/client";
import type { SshHost } from "../../contract/ssh";
import type { HookResult, HookRun } from "../hook";

const keep = 4096;

/** The shell command for a hook: its environment, then its argv, each word quoted. */
export function hookCommand(run: HookRun): string {
    const env = Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${shellQuote([v])}`);
    const cd = run.cwd ? `cd ${shellQuote([run.cwd])} && ` : "";
    return `${cd}${env.length > 0 ? `env ${env.join(" ")} ` : ""}${shellQuote(run.argv)}`;
}

/** Runs hooks on `ssh`'s host; the hook's cwd there, or the login folder when it is empty. */
export function sshHookRunner(ssh: SshHost): (run: HookRun) => Promise<HookResult> {
    return async (run) => {
        const start = Date.now();
        try {
            const r = await sshRun(ssh, hookCommand(run), { timeoutMs: run.timeoutMs });
            return { exitCode: r.exitCode, timedOut: false, durationMs: r.durationMs, output: `${r.stdout}${r.stderr}`.slice(-keep) };
        } catch (e) {
            const message = (e as Error).message;
            return { exitCode: null, timedOut: / ran past its \d+ ms limit/.test(message), durationMs: Date.now() - start, output: message.slice(-keep) };
        }
    };
}
