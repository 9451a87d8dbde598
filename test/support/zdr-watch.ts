// `zdr watch` on a test's stack as a user runs it: bin/zdr in a process of its own, the state where
// the test keeps it, bounded in time (killed after timeoutMs).
import { spawn } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

export interface WatchRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export function runZdrWatch(stack: string, stateDir: string, args: readonly string[], timeoutMs = 120_000): Promise<WatchRun> {
    const child = spawn(path.join(projectRoot, "bin/zdr"), ["watch", "--stack", stack, ...args], {
        env: { ...process.env, PULUMI_BACKEND_URL: `file://${stateDir}`, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "zdr-local", PULUMI_SKIP_UPDATE_CHECK: "true" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    return new Promise((resolve) =>
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        }),
    );
}
