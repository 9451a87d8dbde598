// The canary's own log lines on the hosts target, on the real engine: three app hosts and an
// HAProxy host as network namespaces with sshd (test/support/netns-hosts.ts), the webshop started
// by the team's deploy command with its output in a file per server (appLogFile). The judge reads
// each judged server's file over that server's SSH connection every second of the bake. journald
// does not run in the test namespaces: the journal reader is tested against journalctl's JSON
// output in test/unit/canary/host-app-log.test.ts.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { startLoad, Traffic } from "../../src/load/traffic";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { localStackApp } from "../../src/stack-file";
import { closeAllSsh } from "../../src/ssh/client";
import { CounterReport, errorCounters, readCounters, sampleCounters } from "../support/haproxy-counters";
import { createNetnsHosts, NetnsHosts } from "../support/netns-hosts";
import { NetnsHaproxy, startNetnsHaproxy } from "../support/netns-haproxy";
import { freePort } from "../support/ports";

const servers = ["web-1", "web-2", "web-3"];
const appPort = 9101;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const template = "log: ERROR loyalty points not credited for request <num>: points service refused";

describe("the hosts target: a canary judged on its own log file on its host", function () {
    this.timeout(600_000);
    let fleet: NetnsHosts;
    let haproxy: NetnsHaproxy;
    let stack: Stack;
    let stateDir: string;
    let pgPid: number | undefined;
    let runtime: HaproxyRuntime;
    const dbPassword = randomBytes(12).toString("base64url");
    const versions = (r: StageResult) => Object.fromEntries(r.servers.map((s) => [s.name, s.version]));
    const statuses = async () => (await runtime.serverStats("webshop")).map((s) => s.status);

    /** One stage under the shop's load and slow pages in flight, HAProxy's counters sampled throughout. */
    async function underLoad(stage: Stage): Promise<{ result: StageResult; shop: Traffic; slow: Traffic; counters: CounterReport }> {
        const counters = sampleCounters(haproxy.masterSocket, "webshop", 300, await readCounters(haproxy.masterSocket, "webshop"));
        const shop = startLoad(haproxy.url, { rate: 120, connections: 6, maxSeconds: 300 });
        const slow = startLoad(haproxy.url, { rate: 6, connections: 12, maxSeconds: 300, paths: ["/slow?ms=1500"] });
        await sleep(2000);
        const result = await runStage(stack, stage);
        await sleep(500);
        const [shopTraffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        return { result, shop: shopTraffic, slow: slowTraffic, counters: await counters.stop() };
    }

    before(async () => {
        fleet = await createNetnsHosts(["lb", ...servers]);
        haproxy = await startNetnsHaproxy(fleet, "lb", {
            name: "webshop",
            healthCheckPath: "/health",
            servers: servers.map((name) => ({ name, address: fleet.host(name).address, port: appPort })),
        });
        runtime = new HaproxyRuntime(haproxy.adminSocket);
        // PostgreSQL on this machine, on its address on the hosts' network only
        const pgPort = await freePort();
        const pgData = path.join(fleet.dir, "pgdata");
        pgPid = spawn(path.join(projectRoot, "scripts/local/postgres"), [pgData, String(pgPort)], {
            detached: true,
            stdio: ["ignore", fs.openSync(path.join(fleet.dir, "postgres.log"), "a"), fs.openSync(path.join(fleet.dir, "postgres.log"), "a")],
            env: { ...process.env, ZDR_DB_PASSWORD: dbPassword, ZDR_DB_USER: "webshop", ZDR_DB_NAME: "webshop", ZDR_DB_LISTEN: fleet.gateway, ZDR_DB_ALLOW: fleet.subnet },
        }).pid;
        fs.writeFileSync(path.join(fleet.dir, "app.env"), [
            `export ROOT=${projectRoot}`, `export APP_PORT=${appPort}`, `export PGHOST=${fleet.gateway}`, `export PGPORT=${pgPort}`,
            "export PGUSER=webshop", "export PGDATABASE=webshop", `export PGPASSWORD=${dbPassword}`, "",
        ].join("\n"), { mode: 0o600 });

        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(projectRoot, `e2e-hosts-app-log-${process.pid}`, stateDir);
        await stack.setConfig("zdr:dbPassword", { value: dbPassword, secret: true });
        await stack.setConfig("zdr:sshPrivateKey", { value: fleet.privateKey, secret: true });
        const script = `${projectRoot}/test/apps/hosts/webshop.sh`;
        const first = await runStage(stack, {
            name: "v1 everywhere",
            config: {
                ...localStackApp(projectRoot),
                startCommand: [],
                target: "hosts",
                hosts: servers.map((s) => `${s}=${fleet.host(s).address}`),
                haproxyHost: fleet.host("lb").address,
                haproxySocket: haproxy.adminSocket,
                haproxyLogFile: haproxy.logFile,
                knownHosts: fleet.hosts.map((h) => h.knownHostsLine),
                sshUser: "root",
                sshTimeoutSeconds: "3",
                commandTimeoutSeconds: "30",
                appPort: String(appPort),
                // the team's deploy writes each server's output to <run>/logs/<server>.log on its host
                deployCommand: `${script} start {version} ${fleet.dir} {server}`,
                stopCommand: `${script} stop {version} ${fleet.dir} {server}`,
                appLogFile: `${fleet.dir}/logs/{server}.log`,
                dbHost: fleet.gateway,
                dbPortRemote: String(pgPort),
                healthPollIntervalMs: "100",
                stableVersion: "v1",
                drainTimeoutSeconds: "5",
                healthCheckIntervalMs: "200",
                healthTimeoutSeconds: "10",
                bakeSeconds: "60",
            },
        });
        assert.ok(first.ok, first.error);
        assert.deepEqual(versions(first), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
    });

    after(async () => {
        if (stack) {
            await stack.cancel().catch(() => undefined);
            await stack.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
        }
        if (pgPid) {
            try {
                process.kill(pgPid, "SIGINT");
            } catch {
                // gone
            }
            await sleep(1000);
        }
        await closeAllSsh();
        await fleet?.close();
        if (stateDir) {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    it("fails a canary that writes a new error line to its log file while every response is 200, on that template alone, and leaves it out", async () => {
        const s = await underLoad({ name: "logfault canary", config: { releaseVersion: "logfault", canaryCount: "1" } });
        assert.equal(s.result.ok, false);
        assert.match(s.result.error ?? "", /canary web-1 \(logfault\) failed its judgement against web-2, web-3 after [\d.]+ s \(of at most 60 s\):/);
        assert.equal(s.shop.failed + s.slow.failed, 0, `every response 200: ${JSON.stringify([...s.shop.failures, ...s.slow.failures])}`);
        assert.deepEqual(errorCounters(s.counters), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(s.counters.servers));
        const dir = path.join(projectRoot, ".zdr/local", stack.name, "judgements");
        const report = JSON.parse(fs.readFileSync(path.join(dir, "web-1-logfault.json"), "utf8"));
        const failed = report.checks.filter((c: { verdict: string }) => c.verdict === "fail").map((c: { name: string }) => c.name);
        assert.ok(failed.includes(`new-error: ${template}`), JSON.stringify(report.checks, null, 1));
        assert.ok(!failed.includes("error-rate"), "no request failed more than the baseline's: the log line failed it");
        const t = report.appLogTemplates.find((x: { signature: string }) => x.signature === template);
        assert.ok(t && t.canaryLines > 0 && t.baselineLines === 0, JSON.stringify(report.appLogTemplates));
        assert.ok(t.canaryFirstSeen >= report.from && t.canaryFirstSeen <= report.to, "first seen within the bake");
        // the judge read mirrors of each judged server's own file on its host
        for (const server of servers) {
            const mirror = fs.readFileSync(path.join(dir, `web-1-logfault.${server}.app.log`), "utf8");
            assert.ok(mirror.length > 0 && fs.readFileSync(path.join(fleet.dir, "logs", `${server}.log`), "utf8").includes(mirror.split("\n")[0]), `${server}'s mirror is of its own log`);
        }
        assert.deepEqual(await statuses(), ["MAINT", "UP", "UP"]);
        console.log(`      logfault canary on the hosts: failed after ${report.decidedAfter} canary requests, ${((report.to - report.from) / 1000).toFixed(1)} s into a 60 s bake; template logged ${t.canaryLines} times on web-1, 0 on web-2/web-3; shop ${s.shop.requests} requests, slow ${s.slow.requests}, 0 failed; counters ${JSON.stringify(errorCounters(s.counters))}`);

        const back = await runStage(stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
        assert.deepEqual(versions(back), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
    });

    it("lets a healthy canary through: its log lines are read and no template is new", async () => {
        const s = await underLoad({ name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1", bakeSeconds: "20" } });
        assert.ok(s.result.ok, s.result.error);
        assert.deepEqual(versions(s.result), { "web-1": "v2", "web-2": "v1", "web-3": "v1" });
        assert.equal(s.shop.failed + s.slow.failed, 0, JSON.stringify([...s.shop.failures, ...s.slow.failures]));
        assert.deepEqual(errorCounters(s.counters), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(s.counters.servers));
        const report = JSON.parse(fs.readFileSync(path.join(projectRoot, ".zdr/local", stack.name, "judgements/web-1-v2.json"), "utf8"));
        assert.notEqual(report.verdict, "fail");
        assert.deepEqual(report.checks.filter((c: { name: string }) => c.name.startsWith("new-error")).map((c: { name: string }) => c.name), []);
        assert.ok(fs.statSync(path.join(projectRoot, ".zdr/local", stack.name, "judgements/web-1-v2.web-1.app.log")).size > 0, "the canary's log was mirrored from its host");
        console.log(`      v2 canary on the hosts: ${report.verdict} after ${((report.to - report.from) / 1000).toFixed(1)} s (${report.decidedAfter ?? "-"} canary requests); shop ${s.shop.requests} requests, 0 failed`);
    });
});
