// The act side of zdr:haproxy:Server and zdr:haproxy:Member against a fake runtime API: which
// commands they send, their time-outs, and what they make of a server or an HAProxy that is gone.
import { strict as assert } from "node:assert";
import { drain, memberProvider, reattach } from "../../../provider/haproxy/member";
import type { MemberInputs } from "../../../contract/member";
import { addServer, removeServer, serverProvider } from "../../../provider/haproxy/server";
import type { ServerInputs } from "../../../contract/haproxy";
import { processStartTicks } from "../../../targets/local/provider/process";
import { FakeHaproxy, showServersState, showStat, startFakeHaproxy } from "../../support/fake-haproxy";

// This test process stands in for a running HAProxy: its identity is alive.
const alive = `${process.pid}:${processStartTicks(process.pid)}`;
const gone = "999999999:1";

function inputs(socket: string, loadBalancer = alive): ServerInputs {
    return { runtimeApi: socket, backend: "webshop", server: "web-4", address: "127.0.0.1:9104", check: ["inter", "200", "fall", "2", "rise", "2"], loadBalancer, removeTimeoutMs: 1000 };
}

describe("zdr:haproxy:Server and Member against a fake runtime API", () => {
    let fake: FakeHaproxy | undefined;
    afterEach(async () => {
        await fake?.close();
        fake = undefined;
    });

    it("adds a server with its check settings, then enables its health check", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd.startsWith("add server") ? "New server registered.\n" : "\n"));
        await addServer(inputs(fake.socket));
        assert.deepEqual(fake.commands, ["add server webshop/web-4 127.0.0.1:9104 check inter 200 fall 2 rise 2", "enable health webshop/web-4"]);
    });

    it("keeps a server an interrupted up already added at the same address", async () => {
        fake = await startFakeHaproxy((cmd) =>
            cmd.startsWith("add server") ? "Already exists a server with the same name in backend.\n" : cmd === "show servers state" ? showServersState([{ name: "web-4", port: 9104 }]) : "\n",
        );
        await addServer(inputs(fake.socket));
        assert.deepEqual(fake.commands.slice(1), ["show servers state", "enable health webshop/web-4"]);
    });

    it("refuses to take over a server of the same name at another address", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd.startsWith("add server") ? "Already exists a server with the same name in backend.\n" : showServersState([{ name: "web-4", port: 9999 }])));
        await assert.rejects(addServer(inputs(fake.socket)), /HAProxy refused "add server webshop\/web-4 127\.0\.0\.1:9104 check .*": Already exists/);
    });

    it("removes a drained server, retrying while HAProxy still holds a connection", async () => {
        let refusals = 2;
        fake = await startFakeHaproxy((cmd) => {
            if (cmd === "show stat") {
                return showStat([{ name: "web-4", status: "MAINT" }]);
            }
            return refusals-- > 0 ? "Server still has connections attached to it, cannot remove it.\n" : "Server deleted.\n";
        });
        assert.equal(await removeServer(inputs(fake.socket)), undefined);
        assert.deepEqual(fake.commands, ["show stat", "del server webshop/web-4", "del server webshop/web-4", "del server webshop/web-4"]);
    });

    it("puts a server still in rotation into maintenance before it removes it", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: "UP" }]) : cmd.startsWith("del") ? "Server deleted.\n" : "\n"));
        await removeServer(inputs(fake.socket));
        assert.deepEqual(fake.commands, ["show stat", "set server webshop/web-4 state maint", "del server webshop/web-4"]);
    });

    it("gives up on a removal HAProxy keeps refusing, after the remove timeout", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: "MAINT", scur: 1 }]) : "Server still has connections attached to it, cannot remove it.\n"));
        await assert.rejects(removeServer(inputs(fake.socket)), /HAProxy refused "del server webshop\/web-4": Server still has connections/);
    });

    it("has nothing to remove when HAProxy no longer has the server", async () => {
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        assert.match((await removeServer(inputs(fake.socket))) ?? "", /no longer has webshop\/web-4; nothing to remove/);
        assert.deepEqual(fake.commands, ["show stat"]);
    });

    it("has nothing to remove, and asks nothing, when its HAProxy is not running", async () => {
        fake = await startFakeHaproxy(() => "\n");
        assert.match((await removeServer(inputs(fake.socket, gone))) ?? "", /is not running; nothing to remove/);
        assert.deepEqual(fake.commands, []);
    });

    it("fails a removal when HAProxy runs but its runtime API does not answer", async () => {
        await assert.rejects(removeServer(inputs("/nonexistent/zdr-admin.sock")), /HAProxy runtime API at \/nonexistent\/zdr-admin\.sock/);
    });

    it("drains nothing when HAProxy no longer has the server (the destroy after a failed removal)", async () => {
        fake = await startFakeHaproxy(() => "No such server.\n");
        const result = await drain({ runtimeApi: fake.socket, backend: "webshop", server: "web-4", version: "v1", loadBalancer: alive });
        assert.match(String(result), /no longer has webshop\/web-4; nothing to drain/);
        assert.deepEqual(fake.commands, ["set server webshop/web-4 state drain"]);
    });

    it("drains nothing when its HAProxy is not running", async () => {
        assert.match(String(await drain({ runtimeApi: "/nonexistent/zdr-admin.sock", backend: "webshop", server: "web-4", version: "v1", loadBalancer: gone })), /is not running; nothing to drain/);
    });

    const member = (socket: string, more: Partial<MemberInputs> = {}): MemberInputs => ({ runtimeApi: socket, backend: "webshop", server: "web-4", version: "v2", loadBalancer: alive, ...more });

    it("reattaches: forces the health down, readies the server, and waits for HAProxy's own check to bring it UP", async () => {
        let polls = 0;
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: ++polls < 3 ? "DOWN" : "UP" }]) : "\n"));
        await reattach(member(fake.socket, { healthTimeoutMs: 5000 }));
        assert.deepEqual(fake.commands, ["set server webshop/web-4 health down", "set server webshop/web-4 state ready", "show stat", "show stat", "show stat"]);
    });

    it("fails a reattach HAProxy never sees UP, after the health time-out, naming the last status", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: "DOWN" }]) : "\n"));
        const t0 = Date.now();
        await assert.rejects(reattach(member(fake.socket, { healthTimeoutMs: 300 })), /^Error: reattach of webshop\/web-4: HAProxy does not see it UP after 300 ms \(last status: DOWN\)$/);
        assert.ok(Date.now() - t0 >= 300, "it waited the whole time-out");
    });

    it("drains: no new requests, waits until in-flight ones finish, then maintenance", async () => {
        let sessions = 3;
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: "DRAIN", scur: Math.max(0, sessions--) }]) : "\n"));
        assert.equal(await drain(member(fake.socket, { drainTimeoutMs: 5000 })), 0);
        assert.deepEqual(fake.commands, ["set server webshop/web-4 state drain", ...Array(4).fill("show stat"), "set server webshop/web-4 state maint"]);
    });

    it("ends a drain at the drain time-out with the sessions still open, and still puts the server into maintenance", async () => {
        fake = await startFakeHaproxy((cmd) => (cmd === "show stat" ? showStat([{ name: "web-4", status: "DRAIN", scur: 2 }]) : "\n"));
        const t0 = Date.now();
        assert.equal(await drain(member(fake.socket, { drainTimeoutMs: 300 })), 2);
        assert.ok(Date.now() - t0 >= 300, "it waited the whole time-out");
        assert.equal(fake.commands.at(-1), "set server webshop/web-4 state maint");
    });

    const refreshes: { status: string; kept: boolean }[] = [
        { status: "UP", kept: true },
        { status: "DOWN", kept: true },
        { status: "MAINT", kept: false },
        { status: "MAINT (resolution)", kept: false },
        { status: "DRAIN", kept: false },
        { status: "DRAIN (agent)", kept: false },
    ];
    for (const r of refreshes) {
        it(`on refresh ${r.kept ? "keeps" : "drops"} a member HAProxy shows ${r.status}`, async () => {
            fake = await startFakeHaproxy(() => showStat([{ name: "web-4", status: r.status }]));
            const props = { ...member(fake.socket), inLoadBalancer: true };
            const result = await memberProvider.read("webshop/web-4", "urn", props);
            assert.deepEqual(result, r.kept ? { id: "webshop/web-4", props } : { id: "", props: {} });
        });
    }

    it("on refresh drops a member whose HAProxy is not running, without asking it", async () => {
        fake = await startFakeHaproxy(() => showStat([{ name: "web-4", status: "UP" }]));
        assert.deepEqual(await memberProvider.read("webshop/web-4", "urn", { ...member(fake.socket, { loadBalancer: gone }), inLoadBalancer: true }), { id: "", props: {} });
        assert.deepEqual(fake.commands, []);
    });

    const diffs: { name: string; change: Partial<ServerInputs>; replaces: string[] }[] = [
        { name: "new check settings: an update (the reload applied them)", change: { check: ["inter", "500", "fall", "2", "rise", "2"] }, replaces: [] },
        { name: "another address: a replacement", change: { address: "127.0.0.1:9200" }, replaces: ["address"] },
        { name: "another HAProxy: a replacement", change: { loadBalancer: "1:2" }, replaces: ["loadBalancer"] },
    ];
    for (const d of diffs) {
        it(`diffs ${d.name}`, async () => {
            const olds = inputs("/x.sock");
            const result = await serverProvider.diff("id", "urn", olds, { ...olds, ...d.change });
            assert.deepEqual({ changes: result.changes, replaces: result.replaces, deleteBeforeReplace: result.deleteBeforeReplace }, { changes: true, replaces: d.replaces, deleteBeforeReplace: true });
        });
    }
});
