// The zdr command line: `zdr check-migration`, `zdr analyze`, `zdr status` and `zdr watch`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { formatJudgement, judge, TimedSample } from "./canary/judge";
import { LiveJudgement } from "./canary/live";
import { watchMetrics } from "./monitors/watch";
import { CheckInputError, CheckResult } from "./migrations/check";
import { cachedCheck } from "./migrations/verdict-cache";
import { SqlSyntaxError } from "./migrations/sql";

export const exitCodes = { safe: 0, blocked: 1, badInput: 2, inconclusive: 3 } as const;

class BadInput extends Error {}

/** A repeatable option that also takes comma-separated values: `--live-queries a.sql,b.sql --live-queries c.sql`. */
function collect(value: string, previous: string[]): string[] {
    return [...previous, ...value.split(",").filter((v) => v !== "")];
}

function read(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new BadInput(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
}

/**
 * Reads requests in time order, one JSON object a line:
 * {"t": 1767225600000, "status": 200, "latencyMs": 12.5, "error": "optional"} (t in epoch ms).
 */
export function readSamples(file: string): TimedSample[] {
    const samples: TimedSample[] = [];
    read(file, "samples").split("\n").forEach((line, i) => {
        if (line.trim() === "") {
            return;
        }
        let v: { t?: unknown; status?: unknown; latencyMs?: unknown; error?: unknown };
        try {
            v = JSON.parse(line);
        } catch {
            throw new BadInput(`${file}:${i + 1}: not JSON: ${line.slice(0, 80)}`);
        }
        if (
            typeof v.t !== "number" ||
            !Number.isFinite(v.t) ||
            typeof v.status !== "number" ||
            !Number.isInteger(v.status) ||
            typeof v.latencyMs !== "number" ||
            v.latencyMs < 0 ||
            (v.error !== undefined && typeof v.error !== "string")
        ) {
            throw new BadInput(`${file}:${i + 1}: needs "t" (epoch ms), "status" (an integer), "latencyMs" (a number >= 0) and an optional "error" (a string)`);
        }
        const previous = samples[samples.length - 1];
        if (previous && v.t < previous.t) {
            throw new BadInput(`${file}:${i + 1}: "t" ${v.t} is before the line above (${previous.t}): lines must be in time order`);
        }
        samples.push({ t: v.t, status: v.status, latencyMs: v.latencyMs, ...(v.error !== undefined ? { error: v.error as string } : {}) });
    });
    return samples;
}

export function formatCheck(result: CheckResult): string {
    if (result.violations.length === 0) {
        return "safe: no statement breaks a live version or takes a risky lock";
    }
    const lines = result.violations.map((v) => `${v.severity === "block" ? "BLOCK" : "warn "} ${v.message}`);
    lines.push("", `${result.verdict}: ${result.violations.filter((v) => v.severity === "block").length} blocking, ${result.violations.filter((v) => v.severity === "warn").length} warnings`);
    return lines.join("\n");
}

/** The project's workspace (the state in .zdr/state unless $PULUMI_BACKEND_URL says where) and the stack named, or the selected one. */
async function stackWorkspace(name: string | undefined) {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const { engineEnv, projectRoot, pulumiCommand } = await import("./engine");
    const stateDir = path.join(projectRoot, ".zdr/state");
    const envVars = process.env.PULUMI_BACKEND_URL ? {} : engineEnv(stateDir);
    const ws = await LocalWorkspace.create({ workDir: projectRoot, pulumiCommand: await pulumiCommand(), envVars });
    const stack = name ?? (await ws.stack())?.name;
    if (!stack) {
        throw new BadInput("no stack is selected: select one (scripts/pulumi stack select <name>) or name it (--stack <name>)");
    }
    /** Its state, secrets in plain text (the engine decrypts them with the stack's passphrase or secrets provider): never printed. */
    const state = async () =>
        ws.exportStack(stack).catch((e: Error) => {
            throw new BadInput(`cannot read the state of stack ${stack}: ${e.message.split("\n").find((l) => l.startsWith("error:")) ?? e.message}`);
        });
    return { stack, state };
}

/** Runs the CLI; returns the exit code. Output goes through the given writers (tests capture it). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
    let code: number = exitCodes.safe;
    // With --json, bad input is answered in JSON on stdout too: {"verdict": "bad-input", "error": "..."}.
    const json = argv.includes("--json");
    let commanderError = "";
    const program = new Command("zdr")
        .description("zero-downtime releases: checks and reports")
        .exitOverride()
        .configureOutput({ writeOut: out, writeErr: json ? (s) => (commanderError += s) : err });
    const badInput = (message: string) => {
        if (json) {
            out(`${JSON.stringify({ verdict: "bad-input", error: message }, null, 2)}\n`);
        } else {
            err(`zdr: ${message}\n`);
        }
        return exitCodes.badInput;
    };
    program
        .command("check-migration")
        .description("check a migration against the SQL of the versions that stay live: exit 0 safe, 1 blocked, 2 bad input")
        .argument("<migration>", "the migration's SQL file")
        .option("--schema <file>", "the schema before the migration: every earlier migration in order; PostgreSQL (embedded) then judges each live statement")
        .option("--live-queries <file>", "the SQL a live version runs (the file name is the version); repeat the option or separate files with commas; none means usage unknown", collect, [])
        .option("--json", "print the verdict (or the bad input) as JSON")
        .action(async (migration: string, opts: { schema?: string; liveQueries: string[]; json?: boolean }) => {
            const live = opts.liveQueries.map((f) => ({ version: path.basename(f).replace(/\.sql$/, ""), role: "live" as const, sql: read(f, "live queries") }));
            const result = await cachedCheck({
                migration: read(migration, "migration"),
                migrationFile: migration,
                schema: opts.schema === undefined ? undefined : read(opts.schema, "schema"),
                live: live.length > 0 ? live : [{ version: "the live version", role: "live" }],
            });
            out(`${opts.json ? JSON.stringify({ verdict: result.verdict, violations: result.violations.map(({ rule, severity, statement, object, message }) => ({ rule, severity, statement, object, message })) }, null, 2) : formatCheck(result)}\n`);
            code = result.verdict === "blocked" ? exitCodes.blocked : exitCodes.safe;
        });
    program
        .command("analyze")
        .description("judge canary requests against baseline requests, looking after each one: exit 0 pass, 1 fail, 3 inconclusive, 2 bad input")
        .requiredOption("--baseline <file>", 'baseline requests in time order, JSON lines {"t", "status", "latencyMs", "error"?}')
        .requiredOption("--canary <file>", "canary requests, the same")
        .option("--json", "print the verdict as JSON, with decidedAfter (canary requests used) and each check's interval")
        .action((opts: { baseline: string; canary: string; json?: boolean }) => {
            const j = judge(readSamples(opts.baseline), readSamples(opts.canary));
            const json = () => ({
                verdict: j.verdict,
                decidedAfter: j.decidedAfter,
                counts: j.counts,
                warmup: j.warmup,
                ruledOut: j.ruledOut,
                // JSON has no Infinity: an unbounded end is null
                checks: j.checks.map((c) => ({ ...c, evidence: Number.isFinite(c.evidence) ? c.evidence : null, interval: c.interval && { lower: c.interval.lower, upper: Number.isFinite(c.interval.upper) ? c.interval.upper : null } })),
            });
            out(`${opts.json ? JSON.stringify(json(), null, 2) : formatJudgement(j)}\n`);
            code = j.verdict === "pass" ? exitCodes.safe : j.verdict === "fail" ? exitCodes.blocked : exitCodes.inconclusive;
        });
    program
        .command("status")
        .description("each server's version and membership as HAProxy and the servers see them, next to the stack state: exit 0 no drift, 1 drift")
        .option("--stack <name>", "the stack (default: the selected one, scripts/pulumi stack select)")
        .option("--json", "print the rows as JSON")
        .action(async (opts: { stack?: string; json?: boolean }) => {
            const { state: readState } = await stackWorkspace(opts.stack);
            const state = await readState();
            const { closeAllSsh } = await import("./ssh/client");
            // the hosts target's HAProxy and servers are asked over SSH: close those connections after
            // loaded here: it brings the AWS SDK (about 2 s under load), which the other commands never need
            const { fleetStatus, formatStatus } = await import("./status");
            const rows = await fleetStatus(state.deployment?.resources ?? []).finally(closeAllSsh);
            out(`${opts.json ? JSON.stringify(rows, null, 2) : formatStatus(rows)}\n`);
            code = rows.some((r) => r.drift.length > 0) ? exitCodes.blocked : exitCodes.safe;
        });
    program
        .command("watch")
        .description(
            "judge a baking canary live, one line every few seconds (requests and each metric check per side), until the verdict or Ctrl-C: the bake the stack's state shows, read from its target's evidence (HAProxy's log, local or over SSH; the servers' logs; Prometheus or CloudWatch), or a local-default stack's folder (--dir, or --baseline on .zdr/local/<stack>): exit 0 pass, 1 fail, 3 undecided, 2 bad input",
        )
        .option("--canary <server>", "the canary server (from the stack's state: which bake, when several canaries bake at once)")
        .option("--baseline <servers>", "the stable servers it is compared with, comma-separated (or repeat the option); from the stack's state: some of the bake's", collect, [])
        .option("--stack <name>", "the stack (default: the selected one; on a local-default stack's folder: local)")
        .option("--dir <folder>", "a local-default stack's folder instead of its state (.zdr/local/<stack>): needs --canary and --baseline")
        .option("--since <seconds>", "judge from this many seconds ago", "0")
        .option("--every <seconds>", "seconds between lines", "5")
        .option("--max-seconds <seconds>", "stop undecided after this long", "3600")
        .action(async (opts: { canary?: string; baseline: string[]; stack?: string; dir?: string; since: string; every: string; maxSeconds: string }) => {
            const number = (flag: string, text: string, min: number, max: number) => {
                const v = Number(text);
                if (!Number.isFinite(v) || v < min || v > max) {
                    throw new BadInput(`--${flag}: must be a number from ${min} to ${max}; got ${JSON.stringify(text)}`);
                }
                return v;
            };
            const since = number("since", opts.since, 0, 86400);
            const every = number("every", opts.every, 0.1, 60);
            const maxSeconds = number("max-seconds", opts.maxSeconds, 1, 86400);
            if (opts.canary !== undefined && opts.baseline.includes(opts.canary)) {
                throw new BadInput(`--baseline: must name the stable servers, not the canary ${opts.canary}; got ${JSON.stringify(opts.baseline.join(","))}`);
            }
            const { watchBake, watchedBake } = await import("./canary/watch");
            const started = Date.now();
            const from = started - since * 1000;
            const localDir = opts.dir ?? path.join((await import("./engine")).projectRoot, ".zdr/local", opts.stack ?? "local");
            const files = opts.dir !== undefined || (opts.baseline.length > 0 && fs.existsSync(path.join(localDir, "haproxy.log")));
            let watched: import("./canary/watch").Watched;
            let cleanUp = async () => undefined as void;
            // Ctrl-C ends the watch before its next look, also during the first copy of remote logs
            // (the copies are removed after)
            let interrupted = false;
            const onInt = () => (interrupted = true);
            if (files) {
                // a local-default stack's folder: HAProxy's log, the servers' logs, its Prometheus' checks
                if (opts.canary === undefined || opts.baseline.length === 0) {
                    throw new BadInput(`--canary and --baseline: a stack's folder (${opts.dir ? "--dir" : localDir}) names no canary: name the canary and the stable servers it is compared with`);
                }
                const requestLog = path.join(localDir, "haproxy.log");
                if (!fs.existsSync(requestLog)) {
                    throw new BadInput(`no HAProxy request log at ${requestLog}: is --dir a local-default stack that is up?`);
                }
                const servers = [opts.canary, ...opts.baseline];
                // the metric checks, as the judgement reads them, when the stack runs its Prometheus
                const setup = watchMetrics(localDir, opts.canary, opts.baseline, from);
                const live = new LiveJudgement({ requestLog, canary: opts.canary, baseline: opts.baseline, from, appLogs: Object.fromEntries(servers.map((s) => [s, path.join(localDir, "logs", `${s}.log`)])), ...(setup ? { metrics: setup } : {}) });
                watched = { canary: opts.canary, live, judge: live.judge };
                process.once("SIGINT", onInt);
            } else {
                // the bake the stack's state shows, its evidence read from its target as the bake reads it
                const { stack, state } = await stackWorkspace(opts.stack);
                const { bakesIn, pickBake } = await import("./canary/baking");
                const picked = pickBake(bakesIn((await state()).deployment), stack, opts.canary, opts.baseline);
                if ("error" in picked) {
                    throw new BadInput(picked.error);
                }
                const inputs = picked.inputs;
                process.once("SIGINT", onInt);
                const copies = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-watch-"));
                // the SSH connections of the hosts target's copies closed after
                const { closeAllSsh } = await import("./ssh/client");
                cleanUp = async () => {
                    fs.rmSync(copies, { recursive: true, force: true });
                    await closeAllSsh();
                };
                // loaded here: the AWS SDK's clients come with the targets' evidence
                const { canarySources } = await import("../targets/evidence");
                out(`${stack}: watching ${inputs.canary} (${inputs.version}) against ${inputs.baseline.join(", ")}\n`);
                try {
                    watched = await watchedBake(inputs, canarySources(inputs, path.join(copies, "watch")), from);
                } catch (e) {
                    process.removeListener("SIGINT", onInt);
                    await cleanUp();
                    // the evidence could not be read (an SSH connection lost, a secret the engine did
                    // not decrypt): undecided, with why, never read as a verdict
                    process.stderr.write(`zdr: the evidence of ${inputs.canary}'s bake could not be read: ${e instanceof Error ? e.message : String(e)}\n`);
                    code = exitCodes.inconclusive;
                    return;
                }
                if (!watched.live && !watched.judge.metrics) {
                    // on AWS without metric checks nothing can be judged before the ALB delivers its logs
                    process.removeListener("SIGINT", onInt);
                    await cleanUp();
                    out(`${watched.note ?? ""}: nothing to judge live (no metric checks); the bake's judgement says the verdict\n`);
                    code = exitCodes.inconclusive;
                    return;
                }
            }
            let j: import("./canary/judge").Judgement;
            try {
                j = await watchBake(watched, { started, everySeconds: every, maxSeconds, interrupted: () => interrupted }, out);
            } catch (e) {
                process.stderr.write(`zdr: the evidence of ${watched.canary}'s bake could not be read: ${e instanceof Error ? e.message : String(e)}\n`);
                code = exitCodes.inconclusive;
                return;
            } finally {
                process.removeListener("SIGINT", onInt);
                await cleanUp();
            }
            out(`\n${formatJudgement(j)}\n`);
            code = j.verdict === "pass" ? exitCodes.safe : j.verdict === "fail" ? exitCodes.blocked : exitCodes.inconclusive;
        });
    try {
        await program.parseAsync(argv, { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError) {
            if (e.exitCode === 0) {
                return 0;
            }
            return json ? badInput(commanderError.trim().replace(/^error: /, "") || e.message) : exitCodes.badInput;
        }
        if (e instanceof BadInput || e instanceof SqlSyntaxError || e instanceof CheckInputError) {
            return badInput(e.message);
        }
        throw e;
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
