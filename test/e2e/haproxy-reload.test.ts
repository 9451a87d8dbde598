// zdr:haproxy:LoadBalancer's act side on the real HAProxy (no engine): start with no server,
// servers added at run time, a reload that keeps every server and its state, a bad
// configuration refused before anything changes, a stop that leaves no process.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { haproxyConfig } from "../../targets/local/environment";
import { reloadLoadBalancer, startLoadBalancer, stopLoadBalancer } from "../../provider/haproxy/load-balancer";
import type { LoadBalancerInputs, LoadBalancerOutputs } from "../../contract/haproxy";
import { reattach } from "../../provider/haproxy/member";
import { addServer } from "../../provider/haproxy/server";
import { HaproxyMaster, HaproxyRuntime } from "../../src/haproxy/runtime";
import { freePort } from "../support/ports";
import { processTree, stillAlive } from "../support/processes";

describe("HAProxy in master-worker mode, reloaded by zdr (real HAProxy)", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-lb-"));
    const apps: http.Server[] = [];
    let inputs: LoadBalancerInputs;
    let lb: LoadBalancerOutputs;
    let ports: number[] = [];
    const api = () => new HaproxyRuntime(inputs.runtimeApi);
    const config = (healthCheckIntervalMs: number, lbPort: number) =>
        haproxyConfig(
            { app: { name: "webshop", startCommand: [], stopSignal: "SIGTERM", stopGraceSeconds: 5, healthCheckPath: "/health", schemaVersions: {}, db: { name: "app", user: "app" } }, servers: [], dir, lbPort, appBasePort: 0, dbPort: 0, healthCheckIntervalMs, dbPassword: "unused" },
            { runtimeApi: path.join(dir, "admin.sock"), stateFile: path.join(dir, "state") },
        );

    before(async () => {
        for (let i = 0; i < 2; i++) {
            const app = http.createServer((_req, res) => res.end("ok"));
            await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
            apps.push(app);
        }
        ports = apps.map((a) => (a.address() as { port: number }).port);
        const lbPort = await freePort();
        inputs = {
            config: config(200, lbPort),
            configFile: path.join(dir, "haproxy.cfg"),
            backend: "webshop",
            runtimeApi: path.join(dir, "admin.sock"),
            masterSocket: path.join(dir, "master.sock"),
            stateFile: path.join(dir, "state"),
            logFile: path.join(dir, "haproxy.log"),
            readyTcp: `127.0.0.1:${lbPort}`,
        };
        lb = await startLoadBalancer(inputs);
        for (const [i, port] of ports.entries()) {
            await addServer({ ...inputs, server: `web-${i + 1}`, address: `127.0.0.1:${port}`, check: ["inter", "200", "fall", "2", "rise", "2"], loadBalancer: lb.identity });
        }
        await reattach({ runtimeApi: inputs.runtimeApi, backend: "webshop", server: "web-1", version: "v1", healthTimeoutMs: 10000 });
    });
    after(async () => {
        if (lb) {
            await stopLoadBalancer(lb, 5000);
        }
        apps.forEach((a) => a.close());
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const states = async () => Object.fromEntries((await api().serverStats("webshop")).map((s) => [s.server, s.status]));

    it("starts with no server; added servers enter in maintenance until reattached", async () => {
        assert.deepEqual(await states(), { "web-1": "UP", "web-2": "MAINT" });
    });

    it("reloads a new configuration with a new worker, keeping every server and its state", async () => {
        const master = new HaproxyMaster(inputs.masterSocket);
        const before = (await master.processes()).find((p) => p.type === "worker" && p.current)?.pid;
        const lbPort = Number(inputs.readyTcp.split(":")[1]);
        inputs = { ...inputs, config: config(500, lbPort) };
        lb = await reloadLoadBalancer(lb, inputs);
        const after = (await master.processes()).find((p) => p.type === "worker" && p.current)?.pid;
        assert.notEqual(after, before);
        assert.deepEqual(await states(), { "web-1": "UP", "web-2": "MAINT" });
        const written = fs.readFileSync(inputs.configFile, "utf8");
        assert.match(written, /default-server inter 500/);
        assert.match(written, new RegExp(`server web-2 127\\.0\\.0\\.1:${ports[1]} check\\n`));
        const res = await fetch(`http://${inputs.readyTcp}/`);
        assert.equal(await res.text(), "ok");
    });

    it("refuses a configuration HAProxy rejects, before anything changes", async () => {
        const master = new HaproxyMaster(inputs.masterSocket);
        const before = (await master.processes()).find((p) => p.type === "worker" && p.current)?.pid;
        const written = fs.readFileSync(inputs.configFile, "utf8");
        await assert.rejects(reloadLoadBalancer(lb, { ...inputs, config: inputs.config.replace("timeout connect 2000ms", "timeout connect banana") }), /HAProxy rejects the new configuration \(nothing changed\): .*timeout/s);
        assert.equal(fs.readFileSync(inputs.configFile, "utf8"), written);
        assert.equal((await master.processes()).find((p) => p.type === "worker" && p.current)?.pid, before);
        assert.deepEqual(await states(), { "web-1": "UP", "web-2": "MAINT" });
    });

    it("stops the master and its workers", async () => {
        const tree = processTree([lb.pid]);
        assert.ok(tree.length >= 2, JSON.stringify(tree));
        await stopLoadBalancer(lb, 5000);
        assert.deepEqual(stillAlive(tree), []);
    });
});
