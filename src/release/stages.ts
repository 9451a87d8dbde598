// Runs release stages through the Automation API: each stage is a stack-config change and one
// `pulumi up`, exactly as a person would do it by hand or a pull request would.
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import type { HookOutcome } from "../../provider/haproxy/member";
import { namespace } from "./config";

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
    for (const [key, value] of Object.entries(config)) {
        const full = `${namespace}:${key}`;
        if (value === null || Array.isArray(value)) {
            await stack.removeConfig(full);
        }
        if (Array.isArray(value)) {
            for (const [i, item] of value.entries()) {
                await stack.setConfig(`${full}[${i}]`, { value: item }, true);
            }
        } else if (typeof value === "string") {
            await stack.setConfig(full, { value });
        }
    }
}

export interface ServerOutput {
    readonly name: string;
    readonly version: string;
    readonly inLoadBalancer: boolean;
    /** What the team's hooks did at the server's last reattach, when it has hooks. */
    readonly hooks?: readonly HookOutcome[];
    /** The server's port, on the local default. */
    readonly port?: number;
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
    readonly servers: readonly ServerOutput[];
    readonly steps: readonly EngineStep[];
}

function stepOf(e: EngineEvent): EngineStep | undefined {
    const meta = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    if (!meta || meta.op === "same" || meta.op === "read") {
        return undefined;
    }
    const parts = meta.urn.split("::");
    return { op: meta.op, type: meta.type, name: parts[parts.length - 1] };
}

export async function runStage(stack: Stack, stage: Stage, onOutput?: (line: string) => void): Promise<StageResult> {
    await setStageConfig(stack, stage.config);
    const steps: EngineStep[] = [];
    const start = Date.now();
    let ok = true;
    let error: string | undefined;
    try {
        await stack.up({
            onOutput,
            onEvent: (e) => {
                const s = stepOf(e);
                if (s) {
                    steps.push(s);
                }
            },
        });
    } catch (e) {
        ok = false;
        error = (e as Error).message;
    }
    const durationMs = Date.now() - start;
    const outputs = await stack.outputs();
    const servers = (outputs.servers?.value ?? []) as ServerOutput[];
    return { name: stage.name, config: stage.config, ok, error, durationMs, servers, steps };
}
