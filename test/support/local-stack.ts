// A throwaway stack of the local default for end-to-end tests: its own state folder, free
// loopback ports, up on v1 with short timeouts; close() destroys it and removes every trace.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { main } from "../../src/cli";
import { startLoad, Traffic } from "../../src/load/traffic";
import type { ServerStatus } from "../../src/status";
import { freePort, freePortRange } from "./ports";
import { localStackApp, setThrowawaySecrets } from "../../src/stack-file";

export interface LocalStack {
    readonly stack: Stack;
    readonly name: string;
    readonly lbUrl: string;
    readonly dbPort: number;
    /** The app's database and its user (zdr:dbName, zdr:dbUser). */
    readonly dbName: string;
    readonly dbUser: string;
    /** The database password, set as a secret. */
    readonly dbPassword: string;
    /** .zdr/local/<stack>: sockets, logs, events, judgements. */
    readonly dir: string;
    /** The stack's file backend. */
    readonly backendUrl: string;
    /** The first up, on v1. */
    readonly first: StageResult;
    /** `zdr status --json` of this stack: exit code and rows. */
    status(): Promise<{ code: number; rows: ServerStatus[] }>;
    /** `zdr status` of this stack as a person reads it. */
    statusText(): Promise<string>;
    /** Runs a stage under continuous load; returns the stage and what the load saw. */
    underLoad(stage: Stage, rate?: number): Promise<{ result: StageResult; traffic: Traffic }>;
    close(): Promise<void>;
}

/** How many servers a stage's `servers` value names; 3 (the default's) when it names none. */
function serverCount(servers: Stage["config"][string] | undefined): number {
    let list: unknown = servers;
    if (typeof servers === "string") {
        try {
            list = JSON.parse(servers);
        } catch {
            list = undefined;
        }
    }
    return Array.isArray(list) && list.length > 0 ? list.length : 3;
}

/**
 * @param config release settings of the first up (over the fixture's ports and short timeouts)
 * @param app the application definition (app keys) @default - the sample webshop's
 */
export async function openLocalStack(prefix: string, config: Stage["config"] = {}, app: Stage["config"] = localStackApp(projectRoot)): Promise<LocalStack> {
    fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
    const stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
    const name = `${prefix}-${process.pid}`;
    const dir = path.join(projectRoot, ".zdr/local", name);
    const stack = await createStack(projectRoot, name, stateDir);
    const lbPort = await freePort();
    const dbPort = await freePort();
    const lbUrl = `http://127.0.0.1:${lbPort}`;
    const dbPassword = randomBytes(12).toString("base64url");
    await setThrowawaySecrets(stack, dbPassword);
    /** `zdr status` finds the stack through PULUMI_BACKEND_URL, as a user's shell would. */
    const zdrStatus = async (flags: string[]): Promise<{ code: number; out: string }> => {
        const saved = process.env.PULUMI_BACKEND_URL;
        process.env.PULUMI_BACKEND_URL = `file://${stateDir}`;
        let out = "";
        try {
            const code = await main(["status", "--stack", name, ...flags], (s) => (out += s), (s) => (out += s));
            return { code, out };
        } finally {
            if (saved === undefined) {
                delete process.env.PULUMI_BACKEND_URL;
            } else {
                process.env.PULUMI_BACKEND_URL = saved;
            }
        }
    };
    const close = async () => {
        // A test that failed half-way may leave an interrupted update's lock behind.
        await stack.cancel().catch(() => undefined);
        await stack.destroy().catch((e) => console.error(`destroy of ${name} failed: ${e.message}`));
        await stack.workspace.removeStack(name).catch(() => undefined);
        fs.rmSync(stateDir, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
    };
    const first = await runStage(stack, {
        name: "v1 everywhere",
        config: {
            ...app,
            lbPort: String(lbPort),
            // one port per server: the fixture's three, or as many as the test's servers
            appBasePort: String(await freePortRange(serverCount(config.servers))),
            dbPort: String(dbPort),
            // Prometheus and its two exporters (prometheusPort + 0..2)
            prometheusPort: String(await freePortRange(3)),
            stableVersion: "v1",
            drainTimeoutSeconds: "5",
            healthCheckIntervalMs: "200",
            healthTimeoutSeconds: "10",
            ...config,
        },
    });
    if (!first.ok) {
        await close();
    }
    assert.ok(first.ok, first.error);
    return {
        stack,
        name,
        lbUrl,
        dbPort,
        dbName: String(app.dbName ?? "app"),
        dbUser: String(app.dbUser ?? "app"),
        dbPassword,
        backendUrl: `file://${stateDir}`,
        dir,
        first,
        async status() {
            const { code, out } = await zdrStatus(["--json"]);
            return { code, rows: JSON.parse(out) as ServerStatus[] };
        },
        async statusText() {
            return (await zdrStatus([])).out;
        },
        async underLoad(stage, rate = 150) {
            const load = startLoad(lbUrl, { rate, connections: 6, maxSeconds: 200 });
            await new Promise((r) => setTimeout(r, 500));
            const result = await runStage(stack, stage);
            await new Promise((r) => setTimeout(r, 500));
            return { result, traffic: await load.stop() };
        },
        close,
    };
}
