// Runs release stages through the Automation API: each stage is a stack-config change and one
// `pulumi up`, exactly as a person would do it by hand or a pull request would.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { namespace } from "./config";
import { fleetFromState, type ServerOutput, type StateResource } from "./fleet-state";

export type { ServerOutput, StateResource };

export interface Stage {
    readonly name: string;
    /**
     * Config keys of the zdr namespace to set before the up, e.g. { canaryCount: "1" }; a list
     * for list keys (pins, servers); null removes the key (its default applies).
     */
    readonly config: Readonly<Record<string, StageValue>>;
}

export type StageValue = string | readonly string[] | null;

export async function setStageConfig(stack: Stack, config: Stage["config"]): Promise<void> {
    // At most three CLI runs whatever the number of keys (one `pulumi config` run per key cost
    // 0.3 s to over 1 s each, and a first up sets some 25 keys): the keys a null or a list
    // replaces are removed, then the plain values set, then the list items (by path).
    const removed: string[] = [];
    const plain: Record<string, { value: string }> = {};
    const items: Record<string, { value: string }> = {};
    for (const [key, value] of Object.entries(config)) {
        const full = `${namespace}:${key}`;
        if (value === null || Array.isArray(value)) {
            removed.push(full);
        }
        if (Array.isArray(value)) {
            for (const [i, item] of value.entries()) {
                items[`${full}[${i}]`] = { value: item };
            }
        } else if (typeof value === "string") {
            plain[full] = { value };
        }
    }
    if (removed.length > 0) {
        await stack.removeAllConfig(removed);
    }
    if (Object.keys(plain).length > 0) {
        await stack.setAllConfig(plain);
    }
    if (Object.keys(items).length > 0) {
        await stack.setAllConfig(items, true);
    }
}

/** One step the engine took on a resource (anything but "same"). */
export interface EngineStep {
    readonly op: string;
    readonly type: string;
    readonly name: string;
}

export interface StageResult {
    readonly name: string;
    readonly config: Stage["config"];
    readonly ok: boolean;
    /** The engine's error when ok is false. */
    readonly error?: string;
    readonly durationMs: number;
    /** When the `pulumi up` started (ms since the epoch). */
    readonly startedAt: number;
    readonly servers: readonly ServerOutput[];
    readonly steps: readonly EngineStep[];
}

const stackType = "pulumi:pulumi:Stack";

function stepOf(e: EngineEvent): EngineStep | undefined {
    const meta = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    if (!meta || meta.op === "same" || meta.op === "read") {
        return undefined;
    }
    const parts = meta.urn.split("::");
    return { op: meta.op, type: meta.type, name: parts[parts.length - 1] };
}

/** What `pulumi up` left: its exit code, its output, and its engine events (from --event-log). */
interface UpRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly events: EngineEvent[];
}

/**
 * `pulumi up --yes --skip-preview` on the stack, as the Automation API's stack.up() runs it (same
 * CLI, environment, flags and event log), without what stack.up() runs after the engine: `stack
 * output` twice and `stack history` (about 1-2 s of CLI starts per stage); the stack's new
 * outputs come from its own outputs event instead.
 */
async function pulumiUp(stack: Stack, onOutput?: (line: string) => void): Promise<UpRun> {
    const ws = stack.workspace as LocalWorkspace;
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-up-"));
    const eventLog = path.join(logDir, "events.jsonl");
    try {
        const command = ws.pulumiCommand.command;
        const env: Record<string, string | undefined> = { ...process.env, PULUMI_DEBUG_COMMANDS: "true", ...ws.envVars, PULUMI_AUTOMATION_API: "true" };
        if (path.isAbsolute(command)) {
            env.PATH = `${path.dirname(command)}${path.delimiter}${ws.envVars.PATH ?? process.env.PATH}`;
        }
        if (ws.pulumiHome) {
            env.PULUMI_HOME = ws.pulumiHome;
        }
        const args = ["up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--event-log", eventLog, "--stack", stack.name, "--non-interactive"];
        const child = spawn(command, args, { cwd: ws.workDir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            onOutput?.(d.toString());
        });
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number>((resolve, reject) => {
            child.once("error", reject);
            child.once("close", (c) => resolve(c ?? -1));
        });
        const events = fs.existsSync(eventLog)
            ? fs.readFileSync(eventLog, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as EngineEvent)
            : [];
        return { code, stdout, stderr, events };
    } finally {
        fs.rmSync(logDir, { recursive: true, force: true });
    }
}

/** The stack's outputs as its outputs event of this up carries them (secrets masked), if it got that far. */
function stackOutputsOf(events: readonly EngineEvent[]): Record<string, unknown> | undefined {
    const e = events.find((x) => x.resOutputsEvent?.metadata.type === stackType);
    return e?.resOutputsEvent?.metadata.new?.outputs;
}

export async function runStage(stack: Stack, stage: Stage, onOutput?: (line: string) => void): Promise<StageResult> {
    await setStageConfig(stack, stage.config);
    const start = Date.now();
    const up = await pulumiUp(stack, onOutput);
    const durationMs = Date.now() - start;
    const steps = up.events.map(stepOf).filter((x): x is EngineStep => x !== undefined);
    const ok = up.code === 0;
    // the message the Automation API's CommandError carries
    const error = ok ? undefined : `code: ${up.code}\n stdout: ${up.stdout}\n stderr: ${up.stderr}\n err?: \n`;
    // a failed up registers no new outputs (src/release/fleet-state.ts): the servers are then
    // read from the checkpoint, which the engine wrote step by step
    const outputs = (ok && stackOutputsOf(up.events)) || Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
    let servers = (outputs.servers ?? []) as ServerOutput[];
    if (!ok) {
        const state = await stack.exportStack().catch(() => undefined);
        servers = fleetFromState(servers, (state?.deployment?.resources ?? []) as StateResource[]);
    }
    return { name: stage.name, config: stage.config, ok, error, durationMs, startedAt: start, servers, steps };
}
