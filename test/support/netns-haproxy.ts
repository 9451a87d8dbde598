// HAProxy on a test host (a network namespace of test/support/netns-hosts.ts), as an operator
// would install it for the hosts target: its own configuration with the backend's servers
// (in maintenance until zdr reattaches them), the admin socket a UNIX socket with mode 600 (never
// a network address), the master CLI for the test's counters, one log line per request.
import * as fs from "node:fs";
import * as path from "node:path";
import { type NetnsHosts, tcpAccepts } from "./netns-hosts";

export interface NetnsHaproxy {
    /** The admin socket's path on the HAProxy host. */
    readonly adminSocket: string;
    /** The master CLI's socket (for the test's counters). */
    readonly masterSocket: string;
    /** HAProxy's request log on its host. */
    readonly logFile: string;
    readonly url: string;
    readonly pid: number;
}

export interface HaproxyBackend {
    readonly name: string;
    readonly servers: readonly { readonly name: string; readonly address: string; readonly port: number }[];
    readonly healthCheckPath: string;
}

export async function startNetnsHaproxy(fleet: NetnsHosts, host: string, backend: HaproxyBackend, frontendPort = 8080): Promise<NetnsHaproxy> {
    const h = fleet.host(host);
    const dir = path.join(h.dir, "haproxy");
    fs.mkdirSync(dir, { recursive: true });
    const adminSocket = path.join(dir, "admin.sock");
    const masterSocket = path.join(dir, "master.sock");
    const logFile = path.join(dir, "haproxy.log");
    const config = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(config, [
        "global",
        `    stats socket ${adminSocket} mode 600 level admin`,
        "    stats timeout 10s",
        "    log stdout format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        "    timeout connect 2000ms",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout queue 10s",
        "    option http-server-close",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "frontend web",
        `    bind ${h.address}:${frontendPort}`,
        "    capture response header x-error len 120",
        // the format docs/hosts.md asks of the operator (the local default's): the canary judge's evidence
        '    log-format "%Ts%ms %s %ST %Tr %Tt %HM %HPO %hs"',
        `    default_backend ${backend.name}`,
        `backend ${backend.name}`,
        "    balance roundrobin",
        `    option httpchk GET ${backend.healthCheckPath}`,
        "    http-check expect status 200",
        "    default-server inter 200 fall 2 rise 2",
        ...backend.servers.map((s) => `    server ${s.name} ${s.address}:${s.port} check disabled`),
        "",
    ].join("\n"));
    const pid = fleet.spawn(host, ["haproxy", "-W", "-db", "-S", masterSocket, "-f", config], logFile);
    for (let i = 0; i < 100; i++) {
        if (fs.existsSync(adminSocket) && (await tcpAccepts(h.address, frontendPort))) {
            return { adminSocket, masterSocket, logFile, url: `http://${h.address}:${frontendPort}`, pid };
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`HAProxy on test host ${host} did not start; see ${logFile}`);
}
