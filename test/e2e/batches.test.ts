// Six servers in batches of two (maxUnavailable 2) on the real engine, real HAProxy and real
// HTTP load with slow requests in flight: no failed request, HAProxy's per-server retries,
// redispatches and errors at 0, and never more than two servers out of the load balancer (from
// the events the providers recorded).
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { startLoad } from "../../src/load/traffic";
import { maxOutOfLoadBalancer, readEvents, ReleaseEvent } from "../../src/release/report";
import { runStage } from "../../src/release/stages";
import { errorCounters, sampleCounters } from "../../src/haproxy/counters";
import { LocalStack, openLocalStack } from "../support/local-stack";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const six = ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6"];

describe("six servers in batches of two on the local default", function () {
    this.timeout(600_000);
    let local: LocalStack;
    const figures: string[] = [];

    before(async () => {
        local = await openLocalStack("e2e-batches", { servers: six, maxUnavailable: "2", drainTimeoutSeconds: "6", healthTimeoutSeconds: "10" });
    });
    after(async () => {
        await local?.close();
        console.log(figures.map((f) => `      ${f}`).join("\n"));
    });

    /** When each server was out of the load balancer: [drain start, reattach end]. */
    const outIntervals = (events: readonly ReleaseEvent[]) =>
        Object.fromEntries(
            six.map((s) => [s, [events.find((e) => e.server === s && e.step === "drain" && e.phase === "start")?.t, events.find((e) => e.server === s && e.step === "reattach" && e.phase === "end")?.t]]),
        ) as Record<string, [number | undefined, number | undefined]>;

    it("releases v2 to all six under load, slow requests in flight: two at a time, batch after batch, nothing failed", async () => {
        const counters = sampleCounters(path.join(local.dir, "haproxy-master.sock"), "webshop", 300);
        const shop = startLoad(local.lbUrl, { rate: 120, connections: 8, maxSeconds: 300 });
        const slow = startLoad(local.lbUrl, { rate: 16, connections: 32, maxSeconds: 300, paths: ["/slow?ms=1500"] });
        await sleep(2000); // slow requests in flight on every server before the up starts
        const since = Date.now();
        const result = await runStage(local.stack, { name: "v2 on all six", config: { releaseVersion: "v2", canaryCount: "6" } });
        await sleep(1000);
        const [shopTraffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        const report = await counters.stop();
        const events = readEvents(path.join(local.dir, "events.jsonl"), since);
        const errors = errorCounters(report);
        const out = outIntervals(events);
        figures.push(
            `v2 on all six (maxUnavailable 2): up ${result.durationMs} ms; shop ${shopTraffic.requests} requests (failed ${shopTraffic.failed}), ` +
                `slow ${slowTraffic.requests} (failed ${slowTraffic.failed}); most out at once ${maxOutOfLoadBalancer(events)}; ` +
                `wretr ${errors.wretr} wredis ${errors.wredis} econ ${errors.econ} eresp ${errors.eresp} over ${report.readings} readings`,
            ...six.map((s) => `  ${s} out +${((out[s][0] ?? NaN) - since) / 1000} s to +${((out[s][1] ?? NaN) - since) / 1000} s`),
        );

        assert.ok(result.ok, result.error);
        assert.deepEqual(result.servers.map((s) => `${s.name}=${s.version}`), six.map((s) => `${s}=v2`));
        assert.ok(result.servers.every((s) => s.inLoadBalancer), JSON.stringify(result.servers));
        assert.ok(shopTraffic.requests > 300 && slowTraffic.requests > 30, `the load ran: ${shopTraffic.requests} shop, ${slowTraffic.requests} slow`);
        assert.equal(shopTraffic.failed, 0, JSON.stringify(shopTraffic.failures));
        assert.equal(slowTraffic.failed, 0, JSON.stringify(slowTraffic.failures));
        assert.ok(report.readings > 10, `HAProxy's counters were read ${report.readings} times`);
        assert.deepEqual(errors, { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(report.servers));

        // every server moved through drain, deploy, reattach; never more than two out at once,
        // and two did move together (the batches are real, not one at a time)
        assert.deepEqual([...new Set(events.map((e) => e.server))].sort(), six);
        assert.equal(events.length, 6 * 6, JSON.stringify(events));
        assert.equal(maxOutOfLoadBalancer(events), 2, JSON.stringify(events));
        // batch order: web-3 and web-4 drain only after web-1 and web-2 are back, and so on
        for (const [earlier, later] of [[["web-1", "web-2"], ["web-3", "web-4"]], [["web-3", "web-4"], ["web-5", "web-6"]]]) {
            const back = Math.max(...earlier.map((s) => out[s][1]!));
            for (const s of later) {
                assert.ok(out[s][0]! >= back, `${s} drained at ${out[s][0]}, before ${earlier.join(" and ")} were back (${back})`);
            }
        }
    });
});
