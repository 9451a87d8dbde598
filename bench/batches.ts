// Benchmark: the wall time of releasing six servers one at a time (maxUnavailable 1) against in
// batches of 2, 3 and 6, on one local stack and the real engine. Each release moves all six
// servers (v1 -> v2, then back, and so on); it prints the `up`'s wall time, the release span
// (first drain to last reattach, from the providers' events) and the most servers out at once.
// Run: npx ts-node --transpile-only bench/batches.ts [healthCheckIntervalMs]      (after `bash scripts/setup`)
// A longer health-check interval (e.g. 1000, HAProxy's rise of 2 then takes ~2 s per reattach)
// makes the inherent waits, which batches overlap, dominate the engine's fixed cost per up.
import { projectRoot } from "../src/engine";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";
import { maxOutOfLoadBalancer, readEvents } from "../src/release/report";
import { runStage } from "../src/release/stages";
import { freePort, freePortRange } from "../test/support/ports";

const servers = ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6"];

interface Row {
    readonly maxUnavailable: string;
    readonly upMs: number;
    readonly spanMs: number;
    readonly maxOut: number;
}

async function main() {
    const { stack, eventsFile, close } = await throwawayStack("bench-batches");
    const rows: Row[] = [];
    try {
        const appBasePort = await freePortRange(servers.length);
        /** A free port outside the app ports. */
        const otherPort = async (): Promise<number> => {
            for (let i = 0; i < 20; i++) {
                const p = await freePort();
                if (p < appBasePort || p >= appBasePort + servers.length) {
                    return p;
                }
            }
            throw new Error("no free port outside the app ports");
        };
        const first = await runStage(stack, {
            name: "v1",
            config: {
                ...localStackApp(projectRoot),
                servers,
                lbPort: String(await otherPort()),
                appBasePort: String(appBasePort),
                dbPort: String(await otherPort()),
                // Prometheus and its two exporters: a range of 3 reserved like the app ports
                prometheusPort: String(await freePortRange(3)),
                healthCheckIntervalMs: process.argv[2] ?? "200",
                drainTimeoutSeconds: "5",
                healthTimeoutSeconds: "10",
                releaseVersion: "v2",
            },
        });
        if (!first.ok) {
            throw new Error(first.error);
        }
        // canaryCount alternates 6 and 0: every server moves in every release
        for (const [i, maxUnavailable] of ["1", "2", "3", "6"].entries()) {
            const since = Date.now();
            const r = await runStage(stack, { name: `maxUnavailable ${maxUnavailable}`, config: { maxUnavailable, canaryCount: i % 2 === 0 ? "6" : "0" } });
            if (!r.ok) {
                throw new Error(r.error);
            }
            const events = readEvents(eventsFile, since);
            const times = events.map((e) => e.t);
            rows.push({ maxUnavailable, upMs: r.durationMs, spanMs: Math.max(...times) - Math.min(...times), maxOut: maxOutOfLoadBalancer(events) });
        }
    } finally {
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
        await close();
    }

    const oneAtATime = rows[0];
    console.log(`6 servers, every one moves; health checks every ${process.argv[2] ?? "200"} ms`);
    console.log("maxUnavailable  up s  release span s  span vs one at a time  most out at once");
    for (const r of rows) {
        console.log(
            `${r.maxUnavailable.padStart(14)} ${(r.upMs / 1000).toFixed(1).padStart(5)}  ${(r.spanMs / 1000).toFixed(1).padStart(14)}  ${((100 * r.spanMs) / oneAtATime.spanMs).toFixed(0).padStart(20)} %  ${String(r.maxOut).padStart(16)}`,
        );
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
