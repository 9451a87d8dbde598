// Benchmark: how long each stage of a staged release takes beyond its inherent waits (drain,
// the app's start, health checks), with zdr on the real engine and with a plain shell script
// against HAProxy's runtime API, side by side in one run on one local environment.
// Run: npx ts-node --transpile-only bench/stage-overhead.ts      (after `bash scripts/setup`)
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../src/engine";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";
import { readEvents, ReleaseEvent } from "../src/release/report";
import { runStage } from "../src/release/stages";
import { freePort, freePortRange } from "../test/support/ports";

interface Row {
    readonly how: string;
    readonly server: string;
    readonly totalMs: number;
    readonly inherentMs: number;
}

/** Sum of drain, deploy and reattach durations, per server. */
function inherent(events: readonly ReleaseEvent[], server: string): number {
    let sum = 0;
    for (const step of ["drain", "deploy", "reattach"]) {
        const start = events.find((e) => e.server === server && e.step === step && e.phase === "start");
        const end = events.find((e) => e.server === server && e.step === step && e.phase === "end");
        if (start && end) {
            sum += end.t - start.t;
        }
    }
    return sum;
}

async function main() {
    const { stack, localDir, eventsFile, close } = await throwawayStack("bench");
    const rows: Row[] = [];
    let shellPids: number[] = [];
    try {
        const appBasePort = await freePortRange(3);
        const first = await runStage(stack, {
            name: "v1",
            config: { ...localStackApp(projectRoot), lbPort: String(await freePort()), appBasePort: String(appBasePort), dbPort: String(await freePort()), healthCheckIntervalMs: "200", drainTimeoutSeconds: "5", healthTimeoutSeconds: "10" },
        });
        if (!first.ok) {
            throw new Error(first.error);
        }
        for (const [i, server] of ["web-1", "web-2", "web-3"].entries()) {
            const since = Date.now();
            const r = await runStage(stack, { name: `canary ${i + 1}`, config: { releaseVersion: "v2", canaryCount: String(i + 1) } });
            if (!r.ok) {
                throw new Error(r.error);
            }
            rows.push({ how: "zdr (pulumi up)", server, totalMs: r.durationMs, inherentMs: inherent(readEvents(eventsFile, since), server) });
        }

        // The shell script takes over the processes zdr started and moves them back to v1.
        const state = await stack.exportStack();
        const entries = ["web-1", "web-2", "web-3"].map((server, i) => {
            const res = state.deployment.resources.find((x: { urn: string }) => x.urn.endsWith(`::webshop-${server}-deploy`));
            return `${server}:${appBasePort + i}:${res.outputs.pid}`;
        });
        const password = (await stack.getConfig("zdr:dbPassword")).value;
        const env = { ...process.env, PGHOST: "127.0.0.1", PGPORT: first.config.dbPort as string, PGUSER: String(first.config.dbUser), PGDATABASE: String(first.config.dbName), PGPASSWORD: password };
        const start = Date.now();
        const out = execFileSync(path.join(projectRoot, "bench/shell-release.sh"), [path.join(localDir, "haproxy.sock"), "v1", path.join(localDir, "logs"), entries.join(" ")], { env, encoding: "utf8", timeout: 300_000 });
        const lines = out.trim().split("\n");
        shellPids = (lines.pop() ?? "").replace(/^pids /, "").split(" ").map((e) => Number(e.split(":")[1]));
        const events = lines.map((l) => JSON.parse(l) as ReleaseEvent);
        let previousEnd = start;
        for (const server of ["web-1", "web-2", "web-3"]) {
            const end = events.find((e) => e.server === server && e.step === "reattach" && e.phase === "end")?.t ?? previousEnd;
            rows.push({ how: "shell + runtime API", server, totalMs: end - previousEnd, inherentMs: inherent(events, server) });
            previousEnd = end;
        }
    } finally {
        for (const pid of shellPids) {
            try {
                process.kill(pid, "SIGTERM");
            } catch {
                // already gone
            }
        }
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
        await close();
    }

    console.log("how                  server  stage s  inherent s  overhead s");
    for (const r of rows) {
        console.log(`${r.how.padEnd(20)} ${r.server.padEnd(7)} ${(r.totalMs / 1000).toFixed(2).padStart(7)}  ${(r.inherentMs / 1000).toFixed(2).padStart(10)}  ${((r.totalMs - r.inherentMs) / 1000).toFixed(2).padStart(10)}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
