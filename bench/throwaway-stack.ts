// A throwaway stack of the local default for the benches: its own state folder, the project's
// app definition (Pulumi.local.yaml) is theirs to set; close() removes the stack and its folders.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../src/engine";
import { setThrowawaySecrets } from "../src/stack-file";

export interface ThrowawayStack {
    readonly stack: Stack;
    readonly stateDir: string;
    /** .zdr/local/<stack>: sockets, logs, events. */
    readonly localDir: string;
    readonly eventsFile: string;
    close(): Promise<void>;
}

/** root: the project's folder (another checkout of it for bench/stage-overhead.ts --before). */
export async function throwawayStack(prefix: string, root = projectRoot): Promise<ThrowawayStack> {
    const name = `${prefix}-${process.pid}`;
    fs.mkdirSync(path.join(root, ".zdr"), { recursive: true });
    const stateDir = fs.mkdtempSync(path.join(root, ".zdr/tmp-state-"));
    const localDir = path.join(root, ".zdr/local", name);
    const stack = await createStack(root, name, stateDir);
    await setThrowawaySecrets(stack, randomBytes(12).toString("base64url"));
    return {
        stack,
        stateDir,
        localDir,
        eventsFile: path.join(localDir, "events.jsonl"),
        async close() {
            await stack.workspace.removeStack(name).catch(() => undefined);
            fs.rmSync(stateDir, { recursive: true, force: true });
            fs.rmSync(localDir, { recursive: true, force: true });
        },
    };
}
