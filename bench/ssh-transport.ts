// The hosts target's SSH transport on namespace test hosts (test/support/netns-hosts.ts, needs
// root): a new connection (TCP, key exchange, host key check, public-key login), a command on a
// pooled connection, HAProxy's runtime API (`show stat`) through streamlocal forwarding next to the
// same command on the local socket, and one health check from the host. Median, min and max.
//   npx ts-node --transpile-only bench/ssh-transport.ts [rounds]
import { HaproxyRuntime } from "../src/haproxy/runtime";
import { closeAllSsh, sshRun, sshStreamLocal } from "../src/ssh/client";
import type { SshHost } from "../contract/ssh";
import { sshHttpGet } from "../src/ssh/http";
import { createNetnsHosts } from "../test/support/netns-hosts";
import { startNetnsHaproxy } from "../test/support/netns-haproxy";

const rounds = Number(process.argv[2] ?? 30);

async function timed(label: string, n: number, f: () => Promise<unknown>): Promise<void> {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await f();
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((a, b) => a - b);
    console.log(`${label.padEnd(58)} median ${ms[Math.floor(n / 2)].toFixed(2)} ms  min ${ms[0].toFixed(2)}  max ${ms[n - 1].toFixed(2)}  (n=${n})`);
}

async function main(): Promise<void> {
    const fleet = await createNetnsHosts(["lb", "web-1"]);
    try {
        const haproxy = await startNetnsHaproxy(fleet, "lb", { name: "shop", healthCheckPath: "/health", servers: [{ name: "web-1", address: fleet.host("web-1").address, port: 9101 }] });
        const host = (name: string): SshHost => ({ host: fleet.host(name).address, user: "root", privateKey: fleet.privateKey, knownHosts: fleet.hosts.map((h) => h.knownHostsLine), label: name });
        await timed("new connection + `true` (handshake, host key, login)", Math.min(rounds, 20), async () => {
            await sshRun(host("web-1"), "true", { timeoutMs: 10_000 });
            await closeAllSsh();
        });
        await sshRun(host("web-1"), "true", { timeoutMs: 10_000 });
        await timed("`true` on a pooled connection", rounds, () => sshRun(host("web-1"), "true", { timeoutMs: 10_000 }));
        const over = new HaproxyRuntime("lb", 5000, () => sshStreamLocal(host("lb"), haproxy.adminSocket));
        await over.command("show info");
        await timed("`show stat` through SSH (streamlocal, pooled)", rounds, () => over.serverStats("shop"));
        const local = new HaproxyRuntime(haproxy.adminSocket);
        await timed("`show stat` on the same socket from this machine", rounds, () => local.serverStats("shop"));
        await timed("health check from the host (direct-tcpip, HAProxy's 503)", rounds, () => sshHttpGet(host("lb"), fleet.host("lb").address, 8080, "/", 2000));
    } finally {
        await closeAllSsh();
        await fleet.close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
