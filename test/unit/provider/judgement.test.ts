// The judgement's create on a failing verdict that stands for the deployment (no bake): the
// canary is set to maint on a fake HAProxy runtime API on a temporary unix socket.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { judgementProvider, JudgementInputs } from "../../../provider/canary/judgement";
import { judge } from "../../../src/canary/judge";

describe("a failing canary's judgement", () => {
    let dir: string;
    let socket: string;
    let server: net.Server;
    const commands: string[] = [];

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-judgement-"));
        socket = path.join(dir, "admin.sock");
        server = net.createServer((c) => {
            c.setEncoding("utf8");
            c.on("data", (d: string) => {
                commands.push(d.trim());
                c.end(""); // HAProxy answers nothing to a successful "set server"
            });
        });
        await new Promise<void>((r) => server.listen(socket, r));
        // A failing verdict for deployment "d1", as an earlier judgement wrote it.
        const failing = judge(
            Array.from({ length: 300 }, (_, i) => ({ t: i * 10, status: 200, latencyMs: 5 })),
            Array.from({ length: 100 }, (_, i) => ({ t: i * 30 + 5, status: i % 2 ? 500 : 200, latencyMs: 5 })),
        );
        assert.equal(failing.verdict, "fail");
        fs.writeFileSync(path.join(dir, "web-1-faulty.json"), JSON.stringify({ deployment: "d1", baseline: ["web-2"], from: 0, to: 1000, ...failing }));
    });
    after(async () => {
        await new Promise((r) => server.close(r));
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        commands.length = 0;
    });

    const inputs = (extra: Partial<JudgementInputs>): JudgementInputs => ({
        requestLog: path.join(dir, "haproxy.log"),
        canary: "web-1",
        version: "faulty",
        deployment: "d1",
        baseline: ["web-2"],
        bakeSeconds: 8,
        accepted: false,
        reportFile: path.join(dir, "web-1-faulty.json"),
        ...extra,
    });

    it("leaves the canary out of the load balancer and says so, recorded as the judgement's failure (not thrown: the batch's check fails the up)", async () => {
        const r = await judgementProvider.create("urn", inputs({ leaveOutOnFail: { runtimeApi: socket, backend: "webshop" } }));
        assert.deepEqual([r.outs.verdict, r.outs.leftOut], ["fail", true]);
        assert.match(r.outs.failure ?? "", /web-1 is out of the load balancer \(HAProxy state maint\); its process and logs are kept for inspection/);
        assert.deepEqual(commands, ["set server webshop/web-1 state maint"]);
        // every later up judges again (the verdict stands for the deployment)
        assert.equal((await judgementProvider.diff("j", "urn", r.outs, inputs({ leaveOutOnFail: { runtimeApi: socket, backend: "webshop" } }))).changes, true);
    });

    it("keeps it serving when the team asks to watch it longer", async () => {
        const r = await judgementProvider.create("urn", inputs({ leaveOutOnFail: { runtimeApi: socket, backend: "webshop" }, keepServingOnFail: true }));
        assert.deepEqual([r.outs.verdict, r.outs.leftOut], ["fail", false]);
        assert.doesNotMatch(r.outs.failure ?? "", /out of the load balancer/);
        assert.deepEqual(commands, []);
    });

    it("does not judge a canary that is not serving (its membership's failure), and judges it at the next up", async () => {
        const r = await judgementProvider.create("urn", inputs({ notServing: "web-1 stays out of the load balancer: its deploy failed", leaveOutOnFail: { runtimeApi: socket, backend: "webshop" } }));
        assert.deepEqual([r.outs.verdict, r.outs.failure], ["not judged", undefined]);
        assert.deepEqual(commands, []);
        assert.equal((await judgementProvider.diff("j", "urn", r.outs, inputs({}))).changes, true);
    });

    it("passes an accepted verdict without touching the load balancer", async () => {
        const r = await judgementProvider.create("urn", inputs({ accepted: true, leaveOutOnFail: { runtimeApi: socket, backend: "webshop" } }));
        assert.equal(r.outs.verdict, "accepted");
        assert.deepEqual(commands, []);
    });
});
