// The fresh baseline's act side against a fake HAProxy runtime API (the real one: test/e2e/canary.test.ts).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bakeAndJudge } from "../../../provider/canary/judgement";
import { startFreshBaseline } from "../../../provider/canary/fresh-baseline";
import { isSameProcessAlive } from "../../../targets/local/provider/process";
import { FakeHaproxy, showStat, startFakeHaproxy } from "../../support/fake-haproxy";

describe("a canary's fresh baseline (the local default)", function () {
    this.timeout(60_000);
    let dir: string;
    let haproxy: FakeHaproxy;

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-fresh-"));
        haproxy = await startFakeHaproxy((c) => (c.startsWith("add server") ? "New server registered." : c.startsWith("del server") ? "Server deleted." : c === "show stat" ? showStat([{ name: "zdr-fresh-web-1", status: "UP" }]) : c.startsWith("set server webshop/zdr-fresh-web-1 state maint") && haproxy.commands.filter((x) => x.startsWith("add server")).length === 0 ? "No such server." : ""));
    });
    afterEach(async () => {
        await haproxy.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const inputs = (command: string[]) => ({
        startCommand: command,
        version: "v1",
        cwd: dir,
        env: {},
        healthCheckPath: "/health",
        logFile: path.join(dir, "zdr-fresh-web-1.log"),
        runtimeApi: haproxy.socket,
        backend: "webshop",
        check: ["inter", "250", "fall", "2", "rise", "2"],
        healthTimeoutMs: 10_000,
        stopTimeoutMs: 2000,
    });

    // A tiny app: PORT from the environment ({port} works as well), /health answers 200, SIGTERM ends it.
    const app = ["node", "-e", "const s=require('http').createServer((q,r)=>r.end('ok')).listen(Number(process.env.PORT),'127.0.0.1',()=>console.log('listening '+process.env.APP_VERSION));process.on('SIGTERM',()=>s.close(()=>process.exit(0)))"];

    it("starts the stable version on a free loopback port, adds it to HAProxy with every server's checks, and removes and stops it", async () => {
        const fresh = await startFreshBaseline("web-1", inputs(app));
        assert.equal(fresh.server, "zdr-fresh-web-1");
        const add = haproxy.commands.find((c) => c.startsWith("add server"));
        assert.match(add ?? "", /^add server webshop\/zdr-fresh-web-1 127\.0\.0\.1:\d+ check inter 250 fall 2 rise 2$/);
        const [pid, startTicks] = fs.readFileSync(path.join(dir, "zdr-fresh-web-1.log.pid"), "utf8").trim().split(" ");
        assert.equal(await fresh.stop(), undefined);
        assert.ok(haproxy.commands.includes("set server webshop/zdr-fresh-web-1 state drain") && haproxy.commands.includes("del server webshop/zdr-fresh-web-1"), haproxy.commands.join("\n"));
        assert.equal(isSameProcessAlive(Number(pid), startTicks), false, "its process is gone");
        assert.equal(fs.existsSync(path.join(dir, "zdr-fresh-web-1.log.pid")), false);
        // its output goes through the log writer, which may write it a moment later (bounded wait)
        const logged = () => (fs.existsSync(path.join(dir, "zdr-fresh-web-1.log")) ? fs.readFileSync(path.join(dir, "zdr-fresh-web-1.log"), "utf8") : "");
        for (let i = 0; i < 100 && !/listening v1/.test(logged()); i++) {
            await new Promise((r) => setTimeout(r, 50));
        }
        assert.match(logged(), /listening v1/);
    });

    it("a fresh baseline that does not start leaves nothing behind, and the canary is judged against the stable servers, the report saying why", async () => {
        const log = path.join(dir, "haproxy.log");
        const t0 = Date.now();
        fs.writeFileSync(log, Array.from({ length: 40 }, (_, i) => `${t0 + 100 + i * 10} ${i % 2 ? "web-1" : "web-2"} 200 3 4 GET /products {}`).join("\n") + "\n");
        const j = await bakeAndJudge({
            requestLog: log,
            canary: "web-1",
            version: "v2",
            deployment: "d-1",
            baseline: ["web-2"],
            bakeSeconds: 1,
            accepted: false,
            reportFile: path.join(dir, "judgements", "web-1-v2.json"),
            freshBaseline: inputs(["node", "-e", "process.exit(3)"]),
        });
        assert.match(j.freshBaseline?.error ?? "", /exited|health|not answer|did not/i, JSON.stringify(j.freshBaseline));
        assert.equal(j.counts.fresh, undefined, "judged without one");
        assert.ok(j.counts.canary > 0 && j.counts.baseline > 0, JSON.stringify(j.counts));
        assert.equal(haproxy.commands.some((c) => c.startsWith("add server")), false, "never added");
        const report = JSON.parse(fs.readFileSync(path.join(dir, "judgements", "web-1-v2.json"), "utf8"));
        assert.deepEqual(report.freshBaseline, j.freshBaseline);
    });
});
