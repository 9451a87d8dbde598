// Changing the fleet on the local default under load with slow requests in flight: add a server,
// change the health-check interval, remove the server, remove the middle one of the remaining
// three (the others keep their ports and processes), one `up` each; the stack's Prometheus
// scrapes a server from the up that adds it, and no longer from the up that removes it, neither
// it nor the process exporter restarted. Then a removal that fails
// half-way (its `up` killed during the drain, and the server taken out of HAProxy by hand) and a
// destroy that still completes and leaves no process.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { engineEnv, projectRoot } from "../../src/engine";
import { HaproxyMaster, HaproxyRuntime } from "../../src/haproxy/runtime";
import { startLoad, Traffic } from "../../src/load/traffic";
import { readEvents } from "../../src/release/report";
import { runStage, setStageConfig, Stage, StageResult } from "../../src/release/stages";
import { CounterReport, errorCounters, sampleCounters } from "../../src/haproxy/counters";
import { LocalStack, openLocalStack } from "../support/local-stack";
import { freePort, freePortRange } from "../support/ports";
import { processTree, stillAlive } from "../support/processes";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const three = ["web-1", "web-2", "web-3"];
const four = [...three, "web-4"];

interface StepResult {
    readonly result: StageResult;
    readonly shop: Traffic;
    readonly slow: Traffic;
    readonly counters: CounterReport;
}

describe("changing the fleet on the local default under load, slow requests in flight", function () {
    this.timeout(600_000);
    let local: LocalStack;
    let appBasePort: number;
    const figures: string[] = [];

    before(async () => {
        appBasePort = await freePortRange(4);
        local = await openLocalStack("e2e-fleet", { appBasePort: String(appBasePort), drainTimeoutSeconds: "6", healthTimeoutSeconds: "10" });
    });
    after(async () => {
        await local?.close();
        console.log(figures.map((f) => `      ${f}`).join("\n"));
    });

    const runtime = () => new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
    const prometheusUrl = async () => `http://127.0.0.1:${(await local.stack.getConfig("zdr:prometheusPort")).value}`;
    /**
     * The servers Prometheus has discovered for the app's own endpoints (job app: its active
     * targets). Whether each is scraped is `up{job="app"} == 1` below: a target's own health reads
     * "unknown" until the scrape manager's next update has reached it (seen for 20 s on a fresh
     * clone's first up, while `up` was already 1 for the same servers).
     */
    async function appTargets(): Promise<string[]> {
        const body = (await (await fetch(`${await prometheusUrl()}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: { job: string; server?: string } }[] } };
        return body.data.activeTargets.filter((t) => t.labels.job === "app").map((t) => t.labels.server ?? "").sort();
    }
    /** The servers with a current sample of `metric` (an instant query: a series gone stale has none). */
    async function scraped(metric: string): Promise<string[]> {
        const body = (await (await fetch(`${await prometheusUrl()}/api/v1/query?query=${encodeURIComponent(metric)}`)).json()) as { data: { result: { metric: { server: string } }[] } };
        return body.data.result.map((r) => r.metric.server).sort();
    }
    /**
     * Waits (at most 20 s: Prometheus reads a target file when it changes, its exporters are
     * scraped every second) until the app job's targets and the process exporter's servers are
     * `servers`, each app endpoint scraped (up == 1); returns what it saw last.
     */
    async function scrapedServers(servers: string[]): Promise<{ targets: string[]; process: string[]; app: string[] }> {
        let seen = { targets: [] as string[], process: [] as string[], app: [] as string[] };
        for (let i = 0; i < 40; i++) {
            seen = { targets: await appTargets(), process: await scraped("zdr_server_cpu_seconds_total"), app: await scraped('up{job="app"} == 1') };
            if (JSON.stringify(seen.targets) === JSON.stringify(servers) && JSON.stringify(seen.process) === JSON.stringify(servers) && JSON.stringify(seen.app) === JSON.stringify(servers)) {
                return seen;
            }
            await sleep(500);
        }
        return seen;
    }
    const pidOf = async (name: string) => {
        const state = await local.stack.exportStack();
        return Number((state.deployment.resources as { urn: string; outputs?: { pid?: number } }[]).find((r) => r.urn.endsWith(`::${name}`))?.outputs?.pid);
    };
    const monitoringPids = async () => [await pidOf("local-prometheus"), await pidOf("local-process-metrics")];
    const master = () => new HaproxyMaster(path.join(local.dir, "haproxy-master.sock"));
    const listening = (port: number) =>
        new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1");
            s.once("connect", () => (s.destroy(), resolve(true)));
            s.once("error", () => resolve(false));
        });

    /** One stage under the shop's load and slow pages (1.5 s), HAProxy's counters sampled throughout. */
    async function step(stage: Stage): Promise<StepResult> {
        const counters = sampleCounters(path.join(local.dir, "haproxy-master.sock"), "webshop", 300);
        const shop = startLoad(local.lbUrl, { rate: 80, connections: 8, maxSeconds: 300 });
        const slow = startLoad(local.lbUrl, { rate: 16, connections: 32, maxSeconds: 300, paths: ["/slow?ms=1500"] });
        await sleep(2000); // slow requests in flight on every server before the up starts
        const result = await runStage(local.stack, stage);
        await sleep(2000);
        const [shopTraffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        const report = await counters.stop();
        const errors = errorCounters(report);
        figures.push(
            `${stage.name}: up ${result.durationMs} ms; shop ${shopTraffic.requests} requests (failed ${shopTraffic.failed}), ` +
                `slow ${slowTraffic.requests} (failed ${slowTraffic.failed}); HAProxy workers ${report.workers.length}, ` +
                `readings ${report.readings}, wretr ${errors.wretr} wredis ${errors.wredis} econ ${errors.econ} eresp ${errors.eresp}; ` +
                `sessions ${Object.entries(report.servers).map(([s, c]) => `${s} ${c.stot}`).join(", ")}`,
        );
        return { result, shop: shopTraffic, slow: slowTraffic, counters: report };
    }

    /** What every step must show: the up succeeded, no failed request, HAProxy's counters at 0, no drift. */
    async function assertClean(s: StepResult, servers: string[]) {
        assert.ok(s.result.ok, s.result.error);
        assert.deepEqual(s.result.servers.map((x) => x.name), servers);
        assert.ok(s.result.servers.every((x) => x.inLoadBalancer), JSON.stringify(s.result.servers));
        assert.ok(s.shop.requests > 200 && s.slow.requests > 30, `the load ran: ${s.shop.requests} shop, ${s.slow.requests} slow`);
        assert.equal(s.shop.failed, 0, JSON.stringify(s.shop.failures));
        assert.equal(s.slow.failed, 0, JSON.stringify(s.slow.failures));
        assert.ok(s.counters.readings > 10, `HAProxy's counters were read ${s.counters.readings} times`);
        assert.deepEqual(errorCounters(s.counters), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(s.counters.servers));
        const status = await local.status();
        assert.equal(status.code, 0, JSON.stringify(status.rows));
        assert.deepEqual(status.rows.map((r) => r.server).sort(), servers);
        assert.ok(status.rows.every((r) => r.drift.length === 0 && r.lbStatus === "UP" && r.runningVersion === "v1"), JSON.stringify(status.rows));
    }

    /** The engine's steps on resources (the zdr provider's own config update left out). */
    const stepsOf = (r: StageResult) => r.steps.filter((x) => !x.type.startsWith("pulumi:providers:"));
    const touched = (r: StageResult) => [...new Set(stepsOf(r).map((x) => x.name))].sort();

    it("adds web-4: started, checked, attached and scraped; no other server, not HAProxy, not Prometheus touched", async () => {
        const reloadsBefore = (await master().processes()).find((p) => p.type === "master")?.reloads;
        assert.deepEqual(await scrapedServers(three), { targets: three, process: three, app: three });
        const monitoringBefore = await monitoringPids();
        const s = await step({ name: "add web-4", config: { servers: four } });
        await assertClean(s, four);
        assert.deepEqual(touched(s.result), ["webshop-web-4-check", "webshop-web-4-deploy", "webshop-web-4-member", "webshop-web-4-metrics", "webshop-web-4-server"], JSON.stringify(s.result.steps));
        assert.ok(stepsOf(s.result).every((x) => x.op === "create"), JSON.stringify(s.result.steps));
        assert.equal((await master().processes()).find((p) => p.type === "master")?.reloads, reloadsBefore, "HAProxy was not reloaded");
        for (const server of three) {
            assert.deepEqual(s.counters.statuses[server], ["UP"], `${server} stayed UP in every reading`);
        }
        assert.ok(s.counters.servers["web-4"].stot > 0, "web-4 serves");
        // Prometheus scrapes web-4's own endpoint and the process exporter reports its process, neither restarted
        assert.deepEqual(await scrapedServers(four), { targets: four, process: four, app: four });
        assert.deepEqual(await monitoringPids(), monitoringBefore, "Prometheus and the process exporter kept their processes");
        assert.ok(monitoringBefore.every((p) => p > 0), `${monitoringBefore}`);
    });

    it("changes the health-check interval: a hitless reload that keeps every server UP", async () => {
        const workersBefore = (await master().processes()).filter((p) => p.type === "worker" && p.current).map((p) => p.pid);
        const s = await step({ name: "health checks every 500 ms", config: { healthCheckIntervalMs: "500" } });
        await assertClean(s, four);
        const lb = stepsOf(s.result).filter((x) => x.type === "zdr:haproxy:LoadBalancer");
        assert.deepEqual(lb.map((x) => x.op), ["update"], JSON.stringify(s.result.steps));
        assert.ok(stepsOf(s.result).every((x) => x.op === "update"), `nothing replaced: ${JSON.stringify(s.result.steps)}`);
        const workersAfter = (await master().processes()).filter((p) => p.type === "worker" && p.current).map((p) => p.pid);
        assert.notDeepEqual(workersAfter, workersBefore, "a new worker runs the new configuration");
        assert.match(fs.readFileSync(path.join(local.dir, "haproxy.cfg"), "utf8"), /default-server inter 500 fall 2 rise 2/);
        for (const server of four) {
            assert.deepEqual(s.counters.statuses[server], ["UP"], `${server} stayed UP in every reading`);
        }
    });

    it("removes web-4: drained, stopped, then removed from HAProxy and no longer scraped; the up succeeds", async () => {
        const since = Date.now();
        const monitoringBefore = await monitoringPids();
        const s = await step({ name: "remove web-4", config: { servers: three } });
        await assertClean(s, three);
        assert.deepEqual(touched(s.result), ["webshop-web-4-check", "webshop-web-4-deploy", "webshop-web-4-member", "webshop-web-4-metrics", "webshop-web-4-server"], JSON.stringify(s.result.steps));
        assert.ok(stepsOf(s.result).every((x) => x.op === "delete"), JSON.stringify(s.result.steps));
        const events = readEvents(path.join(local.dir, "events.jsonl"), since);
        assert.deepEqual(events.map((e) => `${e.server} ${e.step}:${e.phase}`), ["web-4 drain:start", "web-4 drain:end"]);
        assert.deepEqual((await runtime().serverStats("webshop")).map((x) => x.server).sort(), three);
        assert.equal(await listening(appBasePort + 3), false, "web-4's process is stopped");
        for (const server of three) {
            assert.deepEqual(s.counters.statuses[server], ["UP"], `${server} stayed UP in every reading`);
        }
        // web-4 is no longer a target, and its series end (no sample within the 5 s lookback)
        assert.deepEqual(await scrapedServers(three), { targets: three, process: three, app: three });
        assert.equal(fs.existsSync(path.join(local.dir, "prometheus/servers/web-4.json")), false, "web-4's target file is removed");
        assert.deepEqual(await monitoringPids(), monitoringBefore, "Prometheus and the process exporter kept their processes");
    });

    /** Each server's process id, from the stack's state. */
    async function serverPids(): Promise<Record<string, number>> {
        const state = await local.stack.exportStack();
        return Object.fromEntries(
            (state.deployment.resources as { type: string; urn: string; outputs?: { pid?: number } }[])
                .filter((r) => r.type === "zdr:local:Process" && /::webshop-.*-deploy$/.test(r.urn))
                .map((r) => [r.urn.replace(/^.*::webshop-(.*)-deploy$/, "$1"), Number(r.outputs?.pid)]),
        );
    }

    it("removes web-2, the middle server: web-1 and web-3 keep their ports and processes (same pids)", async () => {
        const pidsBefore = await serverPids();
        const s = await step({ name: "remove web-2 (the middle one)", config: { servers: ["web-1", "web-3"] } });
        await assertClean(s, ["web-1", "web-3"]);
        assert.deepEqual(touched(s.result), ["webshop-web-2-check", "webshop-web-2-deploy", "webshop-web-2-member", "webshop-web-2-metrics", "webshop-web-2-server"], JSON.stringify(s.result.steps));
        assert.ok(stepsOf(s.result).every((x) => x.op === "delete"), JSON.stringify(s.result.steps));
        const pidsAfter = await serverPids();
        assert.deepEqual(pidsAfter, { "web-1": pidsBefore["web-1"], "web-3": pidsBefore["web-3"] }, `before: ${JSON.stringify(pidsBefore)}`);
        assert.deepEqual(s.result.servers.map((x) => [x.name, x.port]), [["web-1", appBasePort], ["web-3", appBasePort + 2]]);
        assert.equal(await listening(appBasePort + 1), false, "web-2's process is stopped");
        assert.equal(await listening(appBasePort + 2), true, "web-3 still listens on its port");
        for (const server of ["web-1", "web-3"]) {
            assert.deepEqual(s.counters.statuses[server], ["UP"], `${server} stayed UP in every reading`);
        }
        figures.push(`remove web-2: pids of web-1 and web-3 ${pidsBefore["web-1"]}, ${pidsBefore["web-3"]} before and after`);
    });

    it("re-applies every membership from the state when HAProxy must restart (another port), without a refresh", async () => {
        const original = (await local.stack.getConfig("zdr:lbPort")).value;
        const other = String(await freePort());
        for (const port of [other, original]) {
            const pidBefore = (await master().processes().catch(() => [])).find((p) => p.type === "master")?.pid;
            const result = await runStage(local.stack, { name: `HAProxy on port ${port}`, config: { lbPort: port } });
            assert.ok(result.ok, result.error);
            const replaced = stepsOf(result).filter((x) => x.op === "replace" || x.op === "create-replacement").map((x) => x.name);
            assert.ok(replaced.includes("local-haproxy"), JSON.stringify(result.steps));
            assert.notEqual((await master().processes()).find((p) => p.type === "master")?.pid, pidBefore, "a new HAProxy");
            assert.ok(result.servers.every((x) => x.inLoadBalancer));
            const status = await local.status();
            assert.equal(status.code, 0, JSON.stringify(status.rows));
            assert.ok(status.rows.every((r) => r.drift.length === 0 && r.lbStatus === "UP"), JSON.stringify(status.rows));
            const res = await fetch(`http://127.0.0.1:${port}/products`);
            assert.equal(res.status, 200);
            figures.push(`restart on port ${port}: up ${result.durationMs} ms; replaced ${[...new Set(replaced)].sort().join(", ")}`);
        }
    });

    /** `pulumi up` in a process of its own, as a person runs it, that the test can kill. */
    function upProcess(): { child: ChildProcess; exited: Promise<number | null> } {
        const child = spawn(path.join(projectRoot, "bin/pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", local.name], {
            cwd: projectRoot,
            env: { ...process.env, ...engineEnv(local.backendUrl.slice("file://".length)) },
            stdio: "ignore",
        });
        return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
    }

    it("destroys after a failed removal (up killed in the drain, server gone from HAProxy): completes, no process left", async () => {
        const added = await runStage(local.stack, { name: "add web-4 again", config: { servers: four } });
        assert.ok(added.ok, added.error);

        await setStageConfig(local.stack, { servers: three });
        const slow = startLoad(local.lbUrl, { rate: 16, connections: 32, maxSeconds: 120, paths: ["/slow?ms=3000"] });
        await sleep(2000);
        const since = Date.now();
        const up = upProcess();
        const events = path.join(local.dir, "events.jsonl");
        for (let i = 0; i < 1200 && !readEvents(events, since).some((e) => e.server === "web-4" && e.step === "drain"); i++) {
            await sleep(50);
        }
        up.child.kill("SIGKILL");
        assert.equal(await up.exited, null, "the up was killed during web-4's drain");
        await slow.stop();
        // The orphaned provider finishes the drain; then the server leaves HAProxy behind zdr's back.
        for (let i = 0; i < 200 && !(await runtime().serverStat("webshop", "web-4")).status.startsWith("MAINT"); i++) {
            await sleep(100);
        }
        await runtime().delServer("webshop", "web-4");

        // Every process the stack started, by pid: each leads its own process group.
        const state = await local.stack.exportStack();
        const pids = (state.deployment.resources as { type: string; outputs?: { pid?: number } }[])
            .filter((r) => r.type === "zdr:local:Process" || r.type === "zdr:haproxy:LoadBalancer")
            .map((r) => Number(r.outputs?.pid))
            .filter((p) => p > 0);
        const before = processTree(pids);
        // Prometheus and the process exporter are the stack's, not a server's: they run whatever the fleet
        assert.equal(pids.length, 8, `PostgreSQL, HAProxy, Prometheus, the process exporter and four servers in the state: ${pids}`);

        await local.stack.cancel();
        const start = Date.now();
        const destroyed = await local.stack.destroy();
        assert.equal(destroyed.summary.result, "succeeded");
        const left = stillAlive(before);
        figures.push(
            `destroy after a failed removal: ${Date.now() - start} ms; processes before ${before.length} ` +
                `(${pids.length} started by zdr and what they forked), after ${left.length}`,
        );
        assert.deepEqual(left, [], "processes left behind");
        // HAProxy's master and worker, PostgreSQL and its own processes, Prometheus, the exporter, four servers
        assert.ok(before.length >= 11, `counted ${before.length}: ${JSON.stringify(before)}`);
    });
});
