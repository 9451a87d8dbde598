// Issue 28 on the real engine, HAProxy and HTTP load with slow requests in flight: five servers,
// maxUnavailable 2 (batches web-1 web-2 | web-3 web-4 | web-5), and web-3 fails in the batch it
// shares with web-4. The test forces each order of web-3's failure against web-4's steps
// (test/e2e/fixtures/batch: the new process of web-4 and each server's beforeAllowTraffic wait
// on files the test writes), instead of hoping the engine's scheduling hits one:
//   - web-3's hook fails while web-4's new version has not started serving (its deploy in flight),
//   - web-3's hook fails while web-4's own hook runs,
//   - web-3's hook fails after web-4 is back UP in HAProxy,
//   - web-3's deploy fails (not healthy) while web-4's hook runs.
// Every time: the up fails naming web-3, exactly web-3 is out (MAINT), web-4 serves v2, web-5
// never moved, no request failed, HAProxy's per-server retries, redispatches and errors are 0,
// the stage's servers (read from the checkpoint) and `zdr status` say so, and the next up
// (rolled back) brings web-3 back.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { startLoad } from "../../src/load/traffic";
import { runStage, type Stage, type StageResult } from "../../src/release/stages";
import { projectRoot } from "../../src/engine";
import { errorCounters, sampleCounters } from "../../src/haproxy/counters";
import { LocalStack, openLocalStack } from "../support/local-stack";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const five = ["web-1", "web-2", "web-3", "web-4", "web-5"];

/** Polls `ok` every 100 ms until it holds, at most `maxMs`. */
async function until(what: string, ok: () => boolean | Promise<boolean>, maxMs = 180_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    for (let i = 0; i < maxMs / 100 + 1; i++) {
        if (await ok()) {
            return;
        }
        if (Date.now() > deadline) {
            break;
        }
        await sleep(100);
    }
    throw new Error(`waited ${maxMs} ms for ${what}`);
}

describe("one server of a batch fails: its partner finishes and serves, in every order (issue 28)", function () {
    this.timeout(1_800_000);
    let local: LocalStack;
    let control: string;
    let runtime: HaproxyRuntime;
    const figures: string[] = [];

    /** The resources of the stack's checkpoint as the engine has written it so far (the file backend writes it at every step). */
    const checkpoint = (): { type: string; outputs?: Record<string, any> }[] => {
        const stateDir = local.backendUrl.replace(/^file:\/\//, "");
        const find = (dir: string): string | undefined => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                const found = e.isDirectory() ? find(p) : e.name === `${local.name}.json` ? p : undefined;
                if (found) {
                    return found;
                }
            }
            return undefined;
        };
        const file = find(stateDir);
        try {
            return file ? (JSON.parse(fs.readFileSync(file, "utf8")).checkpoint?.latest?.resources ?? []) : [];
        } catch {
            return []; // being written
        }
    };
    const memberOf = (server: string) => checkpoint().find((r) => r.type === "zdr:haproxy:Member" && r.outputs?.server === server)?.outputs;
    const logged = (server: string, what: string) => {
        const file = path.join(control, "log.jsonl");
        return fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").some((l) => l.includes(`"server":"${server}"`) && l.includes(`"what":"${what}`));
    };
    const statuses = async () => Object.fromEntries((await runtime.serverStats("webshop")).map((s) => [s.server, s.status]));
    const put = (name: string, content: string) => fs.writeFileSync(path.join(control, name), content);
    const portOf = (server: string) => local.first.servers.find((s) => s.name === server)?.port;

    before(async () => {
        control = fs.mkdtempSync(path.join(projectRoot, ".zdr/batch-control-"));
        local = await openLocalStack("e2e-batch-failure", {
            servers: five,
            maxUnavailable: "2",
            startCommand: ["node", "test/e2e/fixtures/batch/gated-start.js", control],
            beforeAllowTraffic: ["node", "test/e2e/fixtures/batch/gated-hook.js", control, "{server}", "{version}"],
            hookTimeoutSeconds: "120",
            // web-4's held start waits for web-3's failure: long enough for a machine at load 40
            healthTimeoutSeconds: "90",
            drainTimeoutSeconds: "6",
        });
        runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        // the first batch on v2 once, so that each case below moves only web-3 and web-4
        const r = await runStage(local.stack, { name: "v2 on web-1 and web-2", config: { releaseVersion: "v2", canaryCount: "2" } });
        assert.ok(r.ok, r.error);
    });
    // each case starts from web-1 and web-2 on v2, the others on v1, every hook passing
    afterEach(rollBack);
    after(async () => {
        await local?.close();
        fs.rmSync(control, { recursive: true, force: true });
        console.log(figures.map((f) => `      ${f}`).join("\n"));
    });

    /**
     * Runs the stage that moves web-3 and web-4 to v2 under load with slow requests in flight,
     * while `force` drives the order of their steps; then checks everything the issue asks.
     */
    async function failingStage(name: string, stage: Stage["config"], force: () => Promise<void>, web3Failure: RegExp, web3Version = "v2"): Promise<StageResult> {
        fs.rmSync(path.join(control, "log.jsonl"), { force: true });
        const counters = sampleCounters(path.join(local.dir, "haproxy-master.sock"), "webshop", 400);
        const shop = startLoad(local.lbUrl, { rate: 40, connections: 8, maxSeconds: 400 });
        const slow = startLoad(local.lbUrl, { rate: 8, connections: 24, maxSeconds: 400, paths: ["/slow?ms=1500"] });
        await sleep(2000); // slow requests in flight on every server before the up starts
        const up = runStage(local.stack, { name, config: stage });
        const forced = force();
        const result = await up;
        await forced;
        await sleep(1000);
        const [shopTraffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        const report = await counters.stop();
        const errors = errorCounters(report);
        const lb = await statuses();
        figures.push(
            `${name}: up ${result.durationMs} ms, ok ${result.ok}; shop ${shopTraffic.requests} (failed ${shopTraffic.failed}), slow ${slowTraffic.requests} (failed ${slowTraffic.failed}); ` +
                `wretr ${errors.wretr} wredis ${errors.wredis} econ ${errors.econ} eresp ${errors.eresp} over ${report.readings} readings; HAProxy after: ${JSON.stringify(lb)}`,
        );

        assert.equal(result.ok, false, "the up fails");
        assert.match(result.error ?? "", /the release stops at the batch web-3, web-4: web-3 failed; web-4 finished its own steps and serves/);
        assert.match(result.error ?? "", web3Failure);
        // exactly web-3 is out; web-4 went back in on v2; web-5 never moved
        assert.deepEqual(lb, { "web-1": "UP", "web-2": "UP", "web-3": "MAINT", "web-4": "UP", "web-5": "UP" });
        const v4 = await fetch(`http://127.0.0.1:${portOf("web-4")}/health`).then((r) => r.headers.get("x-app-version") ?? r.json().then((b: { version?: string }) => b.version));
        assert.equal(v4, "v2", "web-4 serves v2");
        // no request failed, and HAProxy neither retried nor redispatched one, nor saw an error
        assert.ok(shopTraffic.requests > 100 && slowTraffic.requests > 10, `the load ran: ${shopTraffic.requests} shop, ${slowTraffic.requests} slow`);
        assert.equal(shopTraffic.failed, 0, JSON.stringify(shopTraffic.failures));
        assert.equal(slowTraffic.failed, 0, JSON.stringify(slowTraffic.failures));
        assert.ok(report.readings > 10, `HAProxy's counters were read ${report.readings} times`);
        assert.deepEqual(errors, { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(report.servers));
        // the stage's servers, read from the checkpoint after the failed up, say the same
        assert.deepEqual(
            result.servers.map((s) => [s.name, s.version, s.inLoadBalancer]),
            [["web-1", "v2", true], ["web-2", "v2", true], ["web-3", web3Version, false], ["web-4", "v2", true], ["web-5", "v1", true]],
        );
        assert.match(result.servers.find((s) => s.name === "web-3")?.failure ?? "", web3Failure);
        // zdr status agrees, and says what to do about web-3
        const status = await local.status();
        const row = (s: string) => status.rows.find((r) => r.server === s);
        assert.deepEqual(status.rows.map((r) => [r.server, r.stateVersion, r.stateMember, r.lbStatus]), [
            ["web-1", "v2", true, "UP"], ["web-2", "v2", true, "UP"], ["web-3", web3Version, false, "MAINT"], ["web-4", "v2", true, "UP"], ["web-5", "v1", true, "UP"],
        ]);
        assert.ok(status.rows.every((r) => r.drift.length === 0), JSON.stringify(status.rows));
        assert.equal(row("web-4")?.runningVersion, "v2");
        assert.match(row("web-3")?.failure ?? "", web3Failure);
        assert.match(row("web-3")?.next ?? "", /scripts\/pulumi up/);
        figures.push(`  zdr status after "${name}":`, ...(await local.statusText()).split("\n").map((l) => `    ${l}`));
        return result;
    }

    /** web-3 and web-4 back to v1, every hook passing: the next up converges. */
    async function rollBack(): Promise<void> {
        for (const f of fs.readdirSync(control).filter((f) => f !== "log.jsonl")) {
            fs.rmSync(path.join(control, f), { force: true });
        }
        const r = await runStage(local.stack, { name: "roll back web-3 and web-4", config: { canaryCount: "2", pins: null } });
        assert.ok(r.ok, r.error);
        assert.deepEqual(await statuses(), { "web-1": "UP", "web-2": "UP", "web-3": "UP", "web-4": "UP", "web-5": "UP" });
        assert.deepEqual(r.servers.map((s) => `${s.name}=${s.version}`), ["web-1=v2", "web-2=v2", "web-3=v1", "web-4=v1", "web-5=v1"]);
    }

    const hookFailed = /beforeAllowTraffic of web-3 \(.*gated-hook\.js.*\) exited with 1; its output:\s+gated hook of web-3 \(v2\): fail/;

    it("web-3's hook fails while web-4's new version is still starting: web-4 finishes its deploy and reattach", async () => {
        put("web-3.hook.result", "fail");
        put(`start-${portOf("web-4")}.hold`, "");
        await failingStage("web-3 fails before web-4 is deployed", { canaryCount: "4" }, async () => {
            // web-3's failure is in the checkpoint before web-4's new process may listen
            await until("web-3's membership recorded out", () => memberOf("web-3")?.version === "v2" && memberOf("web-3")?.inLoadBalancer === false);
            assert.ok(!logged("web-4", "hook start"), "web-4's hook has not started");
            put(`start-${portOf("web-4")}.go`, "go");
        }, hookFailed);
    });

    it("web-3's hook fails while web-4's hook runs: web-4's hook passes and it is reattached", async () => {
        put("web-3.hook.result", "fail");
        put("web-4.hook.hold", "");
        await failingStage("web-3 fails during web-4's hook", { canaryCount: "4" }, async () => {
            await until("web-4's hook running", () => logged("web-4", "hook start"));
            await until("web-3's membership recorded out", () => memberOf("web-3")?.version === "v2" && memberOf("web-3")?.inLoadBalancer === false);
            put("web-4.hook.go", "pass");
        }, hookFailed);
    });

    it("web-3's hook fails after web-4 is back UP", async () => {
        put("web-3.hook.hold", "");
        await failingStage("web-3 fails after web-4's reattach", { canaryCount: "4" }, async () => {
            await until("web-3's hook running", () => logged("web-3", "hook start"));
            await until("web-4 on v2 back in the load balancer", async () => memberOf("web-4")?.version === "v2" && (await statuses())["web-4"] === "UP");
            put("web-3.hook.go", "fail");
        }, hookFailed);
    });

    it("web-3's deploy fails its health check while web-4's hook runs: web-4 serves, web-3 stays out", async () => {
        put("web-4.hook.hold", "");
        // web-3 gets a version whose health check never passes; web-4 the release
        await failingStage("web-3's deploy fails during web-4's hook", { canaryCount: "4", pins: ["web-3=broken"] }, async () => {
            await until("web-4's hook running", () => logged("web-4", "hook start"));
            await until("web-3's membership recorded out", () => memberOf("web-3")?.version === "broken" && memberOf("web-3")?.inLoadBalancer === false, 240_000);
            put("web-4.hook.go", "pass");
        }, /web-3 stays out of the load balancer: its deploy failed: server web-3 \(broken\): health check http:\/\/127\.0\.0\.1:\d+\/health failed for 90000 ms/, "broken");
    });
});
