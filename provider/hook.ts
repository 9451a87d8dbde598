// Runs a team's lifecycle hook (beforeAllowTraffic, afterAllowTraffic) as a child process on this
// machine: bounded in time, its output kept (the last part) for the error and the state.
import { spawn } from "node:child_process";

export interface HookRun {
    readonly argv: readonly string[];
    readonly cwd: string;
    readonly timeoutMs: number;
    /** Extra environment: ZDR_SERVER, ZDR_VERSION, ZDR_PORT. */
    readonly env?: Readonly<Record<string, string>>;
}

export interface HookResult {
    /** The exit code; null when the hook was killed (time limit) or could not start. */
    readonly exitCode: number | null;
    readonly timedOut: boolean;
    readonly durationMs: number;
    /** stdout and stderr interleaved, at most the last 4 KiB. */
    readonly output: string;
}

const keep = 4096;

/** Runs the hook to its end or its time limit (then kills its process group, by its pid). */
export function runHook(run: HookRun): Promise<HookResult> {
    const start = Date.now();
    return new Promise((resolve) => {
        let output = "";
        const append = (d: Buffer) => {
            output = (output + d.toString("utf8")).slice(-keep);
        };
        let timedOut = false;
        let settled = false;
        const done = (exitCode: number | null) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                resolve({ exitCode, timedOut, durationMs: Date.now() - start, output });
            }
        };
        const child = spawn(run.argv[0], run.argv.slice(1), { cwd: run.cwd, env: { ...process.env, ...run.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
        child.stdout.on("data", append);
        child.stderr.on("data", append);
        child.on("error", (e) => {
            append(Buffer.from(`${e.message}\n`));
            done(null);
        });
        child.on("close", (code) => done(timedOut ? null : code));
        const timer = setTimeout(() => {
            timedOut = true;
            if (child.pid !== undefined) {
                try {
                    process.kill(-child.pid, "SIGKILL");
                } catch {
                    // already gone
                }
            }
        }, run.timeoutMs);
    });
}

/** Environment variable names whose values are secrets (PGPASSWORD, API_TOKEN, ..._KEY). */
const secretName = /PASS|SECRET|TOKEN|KEY|CREDENTIAL/i;

/**
 * The values a hook's output must never show: every secret the stack knows (the database
 * password; a multi-line one such as an SSH private key line by line, its BEGIN/END lines apart)
 * and the values of the hook environment's variables whose names say they hold a secret.
 * Values shorter than 4 characters are left alone (they would mask ordinary words).
 */
export function secretValues(env: Readonly<Record<string, string | undefined>>, stackSecrets: readonly string[] = []): string[] {
    const values = new Set<string>();
    for (const secret of stackSecrets) {
        const lines = secret.split("\n").map((l) => l.trim()).filter((l) => l !== "");
        if (lines.length > 1) {
            lines.filter((l) => l.length >= 8 && !l.startsWith("-----")).forEach((l) => values.add(l));
        } else if (secret.trim().length >= 4) {
            values.add(secret.trim());
        }
    }
    for (const [name, value] of Object.entries(env)) {
        if (value && value.length >= 4 && secretName.test(name)) {
            values.add(value);
        }
    }
    // the longest first: a secret that contains another is masked whole
    return [...values].sort((a, b) => b.length - a.length);
}

/** The text with each of `values` replaced by [secret]. */
export function maskSecrets(text: string, values: readonly string[]): string {
    let out = text;
    for (const v of values) {
        out = out.split(v).join("[secret]");
    }
    return out;
}

/** Why a hook failed, with its output (secrets in `mask` masked), for the `up`'s error; undefined when it passed. */
export function hookFailure(hook: string, server: string, run: HookRun, r: HookResult, mask: readonly string[] = []): string | undefined {
    if (r.exitCode === 0) {
        return undefined;
    }
    const why = r.timedOut ? `ran past its ${run.timeoutMs} ms limit and was killed` : r.exitCode === null ? "could not run" : `exited with ${r.exitCode}`;
    const masked = maskSecrets(r.output, mask);
    const output = masked.trim() === "" ? "(no output)" : masked.trimEnd();
    return maskSecrets(`${hook} of ${server} (${JSON.stringify(run.argv)}) ${why}; its output:\n${output}`, mask);
}
