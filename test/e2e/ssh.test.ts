// zdr's SSH transport (src/ssh/client.ts) against Debian's sshd on test hosts in network
// namespaces, and HAProxy's runtime API through it: the code the hosts target runs.
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { closeAllSsh, shellQuote, sshRun, sshStreamLocal } from "../../src/ssh/client";
import type { SshHost } from "../../contract/ssh";
import { sshHttpGet } from "../../src/ssh/http";
import { generateEd25519 } from "../../src/ssh/ed25519";
import { createNetnsHosts, NetnsHosts } from "../support/netns-hosts";
import { NetnsHaproxy, startNetnsHaproxy } from "../support/netns-haproxy";

describe("the SSH transport against real sshd on namespace hosts", function () {
    this.timeout(60_000);
    let fleet: NetnsHosts;
    let haproxy: NetnsHaproxy;
    const target = (name: string, extra: Partial<SshHost> = {}): SshHost => ({
        host: fleet.host(name).address,
        user: "root",
        privateKey: fleet.privateKey,
        knownHosts: fleet.hosts.map((h) => h.knownHostsLine),
        label: name,
        connectTimeoutMs: 3000,
        ...extra,
    });
    /** No message may carry any line of the private key. */
    const keyLines = () => fleet.privateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    const rejection = async (p: Promise<unknown>): Promise<string> => {
        try {
            await p;
        } catch (e) {
            const message = (e as Error).message;
            for (const l of keyLines()) {
                assert.ok(!message.includes(l), "the private key is not in the message");
            }
            return message;
        }
        assert.fail("expected a rejection");
    };

    before(async () => {
        fleet = await createNetnsHosts(["lb", "web-1", "web-2"]);
        haproxy = await startNetnsHaproxy(fleet, "lb", {
            name: "shop",
            healthCheckPath: "/health",
            servers: [{ name: "web-1", address: fleet.host("web-1").address, port: 9101 }],
        });
    });
    after(async () => {
        await closeAllSsh();
        await fleet?.close();
    });

    it("runs a command: exit code, stdout and stderr apart, argv quoted", async () => {
        const argv = ["printf", "%s|", "a b", "it's", "$HOME", "`id`"];
        const r = await sshRun(target("web-1"), `${shellQuote(argv)}; echo oops >&2; exit 3`, { timeoutMs: 10_000 });
        assert.equal(r.exitCode, 3);
        assert.equal(r.stdout, "a b|it's|$HOME|`id`|");
        assert.equal(r.stderr, "oops\n");
        const where = await sshRun(target("web-2"), "ip -4 -o addr show dev eth0", { timeoutMs: 10_000 });
        assert.match(where.stdout, new RegExp(`inet ${fleet.host("web-2").address.replace(/\./g, "\\.")}/`));
    });

    it("refuses an unknown host: never trusts on first use", async () => {
        const message = await rejection(sshRun(target("web-1", { knownHosts: [fleet.host("web-2").knownHostsLine] }), "true", { timeoutMs: 5000 }));
        assert.match(message, /^host key of web-1 \(198\.18\.\d+\.\d+:22\) is unknown: zdr:knownHosts has no line for 198\.18\.\d+\.\d+ and zdr never trusts a host on first use/);
        assert.ok(message.includes(fleet.host("web-1").fingerprint), `the presented fingerprint: ${message}`);
    });

    it("refuses a host key mismatch, naming the host and both fingerprints", async () => {
        const w1 = fleet.host("web-1");
        const wrong = `${w1.address} ${fleet.host("web-2").knownHostsLine.split(" ").slice(1).join(" ")}`;
        const message = await rejection(sshRun(target("web-1", { knownHosts: [wrong] }), "touch /tmp/zdr-must-not-run", { timeoutMs: 5000 }));
        assert.match(message, /^host key of web-1 \(198\.18\.\d+\.\d+:22\) does not match zdr:knownHosts/);
        assert.ok(message.includes(`presented ssh-ed25519 ${w1.fingerprint}`), message);
        assert.ok(message.includes(`lists ssh-ed25519 ${fleet.host("web-2").fingerprint}`), message);
    });

    it("says a host is unreachable, within the connect time-out", async () => {
        fleet.setLink("web-2", false);
        try {
            const start = Date.now();
            const message = await rejection(sshRun(target("web-2"), "true", { timeoutMs: 5000 }));
            assert.match(message, /^cannot reach web-2 \(198\.18\.\d+\.\d+:22\) over SSH: (no answer within 3000 ms|host unreachable)$/);
            assert.ok(Date.now() - start < 10_000, `bounded by twice the connect time-out (a pooled connection, then a new one): ${Date.now() - start} ms`);
        } finally {
            fleet.setLink("web-2", true);
        }
        const refused = await rejection(sshRun(target("web-2", { port: 2222 }), "true", { timeoutMs: 5000 }));
        assert.match(refused, /^cannot reach web-2 \(198\.18\.\d+\.\d+:2222\) over SSH: connection refused on port 2222 \(is sshd running there\?\)$/);
    });

    it("refuses a key the host does not accept, without printing it", async () => {
        const other = generateEd25519("not-the-client").privateKey;
        const message = await rejection(sshRun(target("web-1", { privateKey: other }), "true", { timeoutMs: 5000 }));
        assert.match(message, /the key in zdr:sshPrivateKey is not accepted for the user root/);
        assert.ok(!message.includes(other.split("\n")[1]));
    });

    it("fails a command whose connection is lost when sshd restarts mid-command, then works on a new connection", async () => {
        const running = rejection(sshRun(target("web-1"), "echo started; sleep 8; echo finished", { timeoutMs: 20_000 }));
        await new Promise((r) => setTimeout(r, 1000));
        await fleet.stopSshd("web-1");
        const message = await running;
        assert.match(message, /^the SSH connection to web-1 \(198\.18\.\d+\.\d+:22\) was lost while `echo started; sleep 8; echo finished` ran \(after \d+ ms\); whether it finished on the host is unknown; its output so far:\nstarted$/);
        await fleet.startSshd("web-1");
        const again = await sshRun(target("web-1"), "echo back", { timeoutMs: 10_000 });
        assert.equal(again.stdout, "back\n");
    });

    it("bounds a command's time", async () => {
        const start = Date.now();
        const message = await rejection(sshRun(target("web-1"), "sleep 30", { timeoutMs: 1000 }));
        assert.match(message, /^`sleep 30` on web-1 \(198\.18\.\d+\.\d+:22\) ran past its 1000 ms limit; zdr closed its session$/);
        assert.ok(Date.now() - start < 5000);
    });

    it("speaks to HAProxy's admin socket on its host through SSH (streamlocal forwarding)", async () => {
        const lb = target("lb");
        const api = new HaproxyRuntime(`ssh://root@lb${haproxy.adminSocket}`, 5000, () => sshStreamLocal(lb, haproxy.adminSocket));
        assert.match(await api.command("show info"), new RegExp(`^Pid: \\d+$`, "m"));
        assert.deepEqual((await api.serverStats("shop")).map((s) => [s.server, s.status]), [["web-1", "MAINT"]]);
        await api.setServerState("shop", "web-1", "drain");
        // out of maintenance by the command: DRAIN, or DOWN once a health check of web-1 (no app
        // listens there in this test) has already run
        assert.match((await api.serverStat("shop", "web-1")).status, /^(DRAIN|DOWN)/);
        await api.setServerState("shop", "web-1", "maint");
        // (HAProxy's stats socket takes 10 connections at once by default)
        const parallel = await Promise.all(Array.from({ length: 8 }, () => api.serverStat("shop", "web-1")));
        assert.equal(parallel.length, 8, "one connection, many channels");
        const missing = new HaproxyRuntime("ssh://root@lb/nowhere.sock", 5000, () => sshStreamLocal(lb, "/nowhere.sock"));
        assert.match(await rejection(missing.command("show info")), /^lb \(198\.18\.\d+\.\d+:22\): cannot open the UNIX socket \/nowhere\.sock on the host/);
    });

    it("HAProxy's admin socket is on no network address: no TCP port of its host answers the runtime API from another host", async () => {
        const listening = fleet.exec("lb", ["ss", "-Hltn"]).trim().split("\n").map((l) => l.trim().split(/\s+/)[3]);
        assert.deepEqual(listening.sort(), [`${fleet.host("lb").address}:22`, `${fleet.host("lb").address}:8080`].sort(), `listeners: ${listening.join(", ")}`);
        for (const hostPort of listening) {
            const [address, port] = [hostPort.slice(0, hostPort.lastIndexOf(":")), Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))];
            // from web-2, as another machine would: send the runtime API's command, see what comes back
            const answer = fleet.exec("web-2", ["bash", "-c", `exec 3<>/dev/tcp/${address}/${port}; printf 'show info\\n' >&3; timeout 2 head -c 300 <&3 || true`], 10_000);
            assert.ok(!/^Pid: /m.test(answer), `${hostPort} answered the runtime API: ${answer}`);
        }
        const unix = fleet.exec("lb", ["ss", "-Hlx"]);
        assert.ok(unix.includes(haproxy.adminSocket), "the admin socket is a UNIX socket on its host");
    });

    it("polls an HTTP endpoint from the host itself", async () => {
        const lb = target("lb");
        const down = await sshHttpGet(target("web-1"), fleet.host("web-1").address, 9101, "/health", 2000);
        assert.deepEqual(down, { error: `nothing accepts connections on ${fleet.host("web-1").address}:9101` });
        const up = await sshHttpGet(lb, fleet.host("lb").address, 8080, "/", 2000);
        assert.equal(up.status, 503, "HAProxy answers 503 with no server up");
        assert.ok(!net.isIP("lb"));
    });
});
