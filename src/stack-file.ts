// Reads the plain (not secret) zdr keys of a stack file such as Pulumi.local.yaml, so that a
// program of ours (the demo, the tests) can give a new stack the same application definition.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { load } from "js-yaml";
import { appKeys } from "./release/app-config";
import { namespace } from "./release/config";
import type { StageValue } from "./release/stages";

export function readStackFileConfig(file: string, keys?: readonly string[]): Record<string, StageValue> {
    const doc = load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    const result: Record<string, StageValue> = {};
    for (const [full, value] of Object.entries(doc?.config ?? {})) {
        const key = full.startsWith(`${namespace}:`) ? full.slice(namespace.length + 1) : undefined;
        if (key === undefined || (keys && !keys.includes(key)) || (value !== null && typeof value === "object" && !Array.isArray(value))) {
            continue; // another namespace, not asked for, or a secret ({ secure: ... })
        }
        // a list of objects (canaryMetrics) is handed over as the engine hands it to a program: JSON text
        const objects = Array.isArray(value) && value.some((v) => v !== null && typeof v === "object");
        result[key] = objects ? JSON.stringify(value) : Array.isArray(value) ? value.map(String) : String(value);
    }
    return result;
}

/**
 * The application definition of the project's local stack file (Pulumi.local.yaml): what the
 * demo and the tests release on their throwaway stacks.
 */
export function localStackApp(projectRoot: string): Record<string, StageValue> {
    return readStackFileConfig(path.join(projectRoot, "Pulumi.local.yaml"), appKeys);
}

/** The secrets every stack of the project needs (Pulumi.yaml declares them), for a throwaway stack. */
export async function setThrowawaySecrets(stack: Stack, dbPassword: string): Promise<void> {
    await stack.setAllConfig({
        [`${namespace}:dbPassword`]: { value: dbPassword, secret: true },
        // declared secret, so required on every stack; the local target does not use it
        [`${namespace}:sshPrivateKey`]: { value: "unused", secret: true },
    });
}
