// The team's hooks around a reattach: real child processes, a fake HAProxy runtime API.
import { strict as assert } from "node:assert";
import * as os from "node:os";
import { memberProvider, reattachWithHooks } from "../../../provider/haproxy/member";
import { hookOutputTail, hookOutputTailChars } from "../../../provider/membership";
import type { MemberOutputs } from "../../../contract/member";
import { maskSecrets, runHook, secretValues } from "../../../provider/hook";
import { FakeHaproxy, showStat, startFakeHaproxy } from "../../support/fake-haproxy";

const node = (script: string) => [process.execPath, "-e", script];

describe("runHook", () => {
    it("passes on exit 0 and keeps the output", async () => {
        const r = await runHook({ argv: node("console.log('smoke ok for', process.env.ZDR_SERVER)"), cwd: os.tmpdir(), timeoutMs: 10000, env: { ZDR_SERVER: "web-2" } });
        assert.deepEqual([r.exitCode, r.timedOut, r.output], [0, false, "smoke ok for web-2\n"]);
    });
    it("reports a non-zero exit with stdout and stderr", async () => {
        const r = await runHook({ argv: node("console.log('GET /items'); console.error('expected 200, got 500'); process.exit(3)"), cwd: os.tmpdir(), timeoutMs: 10000 });
        assert.equal(r.exitCode, 3);
        assert.match(r.output, /GET \/items\n[^]*expected 200, got 500/);
    });
    it("kills a hook past its time limit", async () => {
        const r = await runHook({ argv: node("console.log('waiting'); setTimeout(() => {}, 60000)"), cwd: os.tmpdir(), timeoutMs: 500 });
        assert.deepEqual([r.exitCode, r.timedOut], [null, true]);
        assert.ok(r.durationMs < 5000, `${r.durationMs} ms`);
    });
    it("reports a command that does not exist", async () => {
        const r = await runHook({ argv: ["/nonexistent/smoke-test"], cwd: os.tmpdir(), timeoutMs: 1000 });
        assert.equal(r.exitCode, null);
        assert.match(r.output, /ENOENT/);
    });
});

describe("a membership's reattach with hooks", () => {
    let fake: FakeHaproxy;
    afterEach(() => fake?.close());
    const member = (hooks: { beforeAllowTraffic?: string[]; afterAllowTraffic?: string[] }) => ({
        runtimeApi: fake.socket,
        backend: "webshop",
        server: "web-1",
        version: "v2",
        healthTimeoutMs: 2000,
        drainTimeoutMs: 1000,
        hooks: { ...hooks, timeoutMs: 5000, cwd: os.tmpdir() },
    });

    it("runs beforeAllowTraffic, reattaches, then runs afterAllowTraffic", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-1", status: "UP" }]) : "\n"));
        const results = await reattachWithHooks(member({ beforeAllowTraffic: node("process.exit(0)"), afterAllowTraffic: node("process.exit(0)") }));
        assert.deepEqual(results.map((r) => [r.hook, r.exitCode]), [["beforeAllowTraffic", 0], ["afterAllowTraffic", 0]]);
        assert.ok(fake.commands.includes("set server webshop/web-1 state ready"), JSON.stringify(fake.commands));
    });

    it("records each hook's command, exit code, time and the end of its output, secrets masked", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-1", status: "UP" }]) : "\n"));
        process.env.ZDR_TEST_DB_PASSWORD = "s3cr3t-pw";
        try {
            const before = node("console.log('x'.repeat(2000)); console.log('pw', process.env.ZDR_TEST_DB_PASSWORD, 'smoke ok')");
            const results = await reattachWithHooks(member({ beforeAllowTraffic: before }));
            assert.equal(results.length, 1);
            const r = results[0];
            assert.deepEqual([r.hook, r.command, r.exitCode], ["beforeAllowTraffic", before, 0]);
            assert.ok(r.durationMs > 0 && r.durationMs < 10000, `${r.durationMs} ms`);
            assert.equal(r.outputTail?.length, hookOutputTailChars);
            assert.ok(r.outputTail?.endsWith("x\npw [secret] smoke ok\n"), r.outputTail);
        } finally {
            delete process.env.ZDR_TEST_DB_PASSWORD;
        }
    });

    const cases: { name: string; env: Record<string, string>; stack: string[]; text: string; masked: string }[] = [
        { name: "a password the stack knows, in any variable or none", env: {}, stack: ["hunter22"], text: "login hunter22 ok", masked: "login [secret] ok" },
        { name: "each line of a private key, not its BEGIN/END lines", env: {}, stack: ["-----BEGIN KEY-----\nAAAABBBBCCCC\nDDDDEEEEFFFF\n-----END KEY-----\n"], text: "-----BEGIN KEY-----\nAAAABBBBCCCC\nDDDDEEEEFFFF\n", masked: "-----BEGIN KEY-----\n[secret]\n[secret]\n" },
        { name: "secret-named environment values only", env: { PGPASSWORD: "pgpw1", ZDR_SERVER: "web-1" }, stack: [], text: "web-1 pgpw1", masked: "web-1 [secret]" },
        { name: "a secret containing another, whole", env: { API_TOKEN: "abcd" }, stack: ["abcd-efgh"], text: "abcd-efgh abcd", masked: "[secret] [secret]" },
        { name: "nothing shorter than 4 characters", env: { DB_PASS: "x1" }, stack: ["ab"], text: "x1 ab", masked: "x1 ab" },
    ];
    for (const c of cases) {
        it(`masks ${c.name}`, () => assert.equal(maskSecrets(c.text, secretValues(c.env, c.stack)), c.masked));
    }

    it("masks only the values of secret-looking variables", () => {
        const env = { PGPASSWORD: "hunter22", ZDR_SERVER: "web-1", API_TOKEN: "tok-123" };
        assert.equal(hookOutputTail("web-1 hunter22 tok-123", env), "web-1 [secret] [secret]");
    });

    it("masks every secret the stack knows in the state and in the error: the database password, each line of the SSH key, secret-named environment values", async () => {
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\nc2gtZWQyNTUxOQAAACDNWpbrWJ8bJYUeVlxxpeLxXPs7WjE4xuHCzMSP6qd90QAA\n-----END OPENSSH PRIVATE KEY-----\n";
        // a hook that prints what it should not: the secrets reach it through harmless-looking names
        const script = "console.log('db', process.env.DB_URL_PART); console.log(process.env.SSH_MATERIAL); console.log('token', process.env.API_TOKEN); process.exit(4)";
        const m = { ...member({ beforeAllowTraffic: node(script) }) };
        const hooks = { ...m.hooks, env: { API_TOKEN: "tok-77e1", DB_URL_PART: "pw-0f8a2c", SSH_MATERIAL: key }, mask: ["pw-0f8a2c", key] };
        let results: unknown;
        await assert.rejects(reattachWithHooks({ ...m, hooks }, async (run) => {
            const r = await runHook(run);
            results = r;
            return r;
        }), (e: Error) => {
            assert.ok(!/pw-0f8a2c|tok-77e1|b3BlbnNzaC1rZXktdjEAAAAABG5v|c2gtZWQyNTUxOQAAACDNWpbrWJ8b/.test(e.message), e.message);
            assert.match(e.message, /db \[secret\]\n-----BEGIN OPENSSH PRIVATE KEY-----\n\[secret\]\n\[secret\]\n-----END OPENSSH PRIVATE KEY-----\n\ntoken \[secret\]/);
            return true;
        });
        assert.ok(results, "the hook ran");
    });

    it("keeps the server out when beforeAllowTraffic fails, with the hook's output in the error", async () => {
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        await assert.rejects(reattachWithHooks(member({ beforeAllowTraffic: node("console.log('smoke: /items answered 500'); process.exit(1)") })), (e: Error) => {
            assert.match(e.message, /^beforeAllowTraffic of web-1 \(.*\) exited with 1; its output:\nsmoke: \/items answered 500\nweb-1 stays out of the load balancer$/);
            return true;
        });
        assert.deepEqual(fake.commands, [], "HAProxy was not asked to take the server back");
    });

    it("records a failed beforeAllowTraffic instead of failing the create (out, the hook's result and output), and the next up's update tries the reattach again", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-1", status: "UP" }]) : "\n"));
        const urn = "urn:pulumi:dev::zdr::zdr:haproxy:Member::webshop-web-1-member";
        const failing = member({ beforeAllowTraffic: node("console.log('smoke: 500'); process.exit(1)") });
        const created = await memberProvider.create(urn, failing);
        const recorded = created.outs as MemberOutputs;
        assert.equal(created.id, "webshop/web-1");
        assert.equal(recorded.inLoadBalancer, false);
        assert.match(recorded.failure ?? "", /^beforeAllowTraffic of web-1 .* exited with 1; its output:\nsmoke: 500\nweb-1 stays out of the load balancer$/);
        assert.deepEqual(recorded.hookResults?.map((h) => [h.hook, h.exitCode, h.outputTail]), [["beforeAllowTraffic", 1, "smoke: 500\n"]]);
        assert.deepEqual(fake.commands, [], "HAProxy was not asked to take the server back");
        // the same inputs: the diff asks for an update, which tries again
        const passing = member({ beforeAllowTraffic: node("process.exit(0)") });
        assert.equal((await memberProvider.diff("webshop/web-1", urn, recorded, failing)).changes, true);
        const updated = await memberProvider.update("webshop/web-1", urn, recorded, passing);
        assert.equal(updated.outs.inLoadBalancer, true);
        assert.equal(updated.outs.failure, undefined);
        assert.deepEqual(updated.outs.hookResults.map((h: { exitCode: number }) => h.exitCode), [0]);
        assert.ok((fake.commands as string[]).includes("set server webshop/web-1 state ready"));
        assert.equal((await memberProvider.diff("webshop/web-1", urn, updated.outs, passing)).changes, false);
    });

    it("records a failed deploy: nothing reattached, no hook run, the deploy's failure said", async () => {
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        const created = await memberProvider.create("urn:pulumi:dev::zdr::zdr:haproxy:Member::webshop-web-1-member", { ...member({ beforeAllowTraffic: node("process.exit(0)") }), deployFailure: "server web-1 (v2): health check failed" });
        assert.deepEqual([created.outs.inLoadBalancer, created.outs.hookResults, created.outs.failure], [false, undefined, "web-1 stays out of the load balancer: its deploy failed: server web-1 (v2): health check failed"]);
        assert.deepEqual(fake.commands, [], "HAProxy was not asked anything");
    });

    it("records a reattach HAProxy never sees UP, and puts the server back in maintenance", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-1", status: "DOWN" }]) : "\n"));
        const created = await memberProvider.create("urn:pulumi:dev::zdr::zdr:haproxy:Member::webshop-web-1-member", { ...member({}), healthTimeoutMs: 300 });
        assert.equal(created.outs.inLoadBalancer, false);
        assert.match(created.outs.failure, /^reattach of webshop\/web-1: HAProxy does not see it UP after 300 ms \(last status: DOWN\)\nweb-1 was taken out of the load balancer again$/);
        assert.deepEqual(fake.commands.filter((c) => c.startsWith("set server")).slice(-1), ["set server webshop/web-1 state maint"]);
    });

    it("drains the server out again when afterAllowTraffic fails", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-1", status: "UP" }]) : "\n"));
        await assert.rejects(reattachWithHooks(member({ afterAllowTraffic: node("console.error('no orders'); process.exit(2)") })), /afterAllowTraffic of web-1 .* exited with 2; its output:\nno orders\nweb-1 was drained out of the load balancer again/);
        assert.deepEqual(fake.commands.filter((c) => c.startsWith("set server")), [
            "set server webshop/web-1 health down",
            "set server webshop/web-1 state ready",
            "set server webshop/web-1 state drain",
            "set server webshop/web-1 state maint",
        ]);
    });
});
