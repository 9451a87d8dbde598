#!/usr/bin/env node
// A Prometheus exporter of each app server's own CPU time and resident memory on the local
// default, where several servers share one host (node_exporter has no per-process collector;
// Debian's prometheus-process-exporter groups processes by their command line, which the
// servers of one app share). A server is the process listening on its port: found through the
// listening socket's inode (ss, or /proc/net/tcp) and the /proc/<pid>/fd link to it, so a
// redeploy (a new pid on the same port) is followed without telling this exporter anything.
//
//   node scripts/local/process-metrics.js <127.0.0.1:port> <targets folder>...
// Each folder's *.json files are Prometheus file_sd targets ([{targets: ["127.0.0.1:<port>"],
// labels: {server}}]): one per server, written by its zdr:local:ScrapeTarget, and one per
// canary's fresh baseline, written by its judgement; read again at each scrape, so a server
// added or removed needs no restart. GET /metrics answers:
//   zdr_server_up{server}                      1 while a process listens on the server's port
//   zdr_server_cpu_seconds_total{server}       user + system CPU of that process (utime + stime)
//   zdr_server_resident_memory_bytes{server}   its VmRSS
//   zdr_server_start_time_seconds{server}      when it started (epoch s): a new pid restarts the counter
"use strict";
const fs = require("node:fs");
const http = require("node:http");
const { execFileSync } = require("node:child_process");

// the sources' reader in this repository; an installed package ships only its compiled copy (dist/)
const { readScrapeTargets } = require(fs.existsSync(`${__dirname}/../../src/monitors/file-sd.js`) ? "../../src/monitors/file-sd" : "../../dist/src/monitors/file-sd");

const [listen, ...targetFolders] = process.argv.slice(2);
const listenMatch = /^(127\.0\.0\.1|\[::1\]):(\d{1,5})$/.exec(listen || "");
if (!listenMatch || targetFolders.length === 0) {
    console.error("usage: process-metrics.js <127.0.0.1:port> <targets folder>...");
    process.exit(2);
}
const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const bootTime = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))[1]);

/**
 * Port -> inode of the socket listening on it, for the ports asked. From `ss -ltne` (iproute2): the
 * kernel dumps its listening sockets only (sock_diag, filtered by state), where /proc/net/tcp lists
 * every connection of the machine (20,000 lines, 0.5-1 s to read on a busy test machine: longer
 * than a scrape may take). /proc/net/tcp{,6} when ss is not there.
 */
function listeningInodes(ports) {
    const wanted = new Set(ports);
    const found = new Map();
    let ss;
    try {
        ss = execFileSync("ss", ["-Hltne"], { encoding: "utf8", timeout: 800, maxBuffer: 16 * 1024 * 1024 });
    } catch {
        ss = undefined;
    }
    if (ss !== undefined) {
        for (const line of ss.split("\n")) {
            const local = /^\S+\s+\d+\s+\d+\s+(\S+):(\d+)\s/.exec(line);
            const ino = /\bino:(\d+)/.exec(line);
            if (local && ino && wanted.has(Number(local[2])) && ino[1] !== "0") {
                found.set(Number(local[2]), ino[1]);
            }
        }
        return found;
    }
    const hex = new Map(ports.map((p) => [p.toString(16).toUpperCase().padStart(4, "0"), p]));
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
        let text = "";
        try {
            text = fs.readFileSync(file, "utf8");
        } catch {
            continue;
        }
        for (const line of text.split("\n")) {
            const f = line.trim().split(/\s+/);
            const port = f.length > 9 && f[3] === "0A" ? hex.get(f[1].slice(f[1].lastIndexOf(":") + 1)) : undefined;
            if (port !== undefined && f[9] !== "0") {
                found.set(port, f[9]);
            }
        }
    }
    return found;
}

const hasSocket = (pid, link) => {
    try {
        return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
            try {
                return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link;
            } catch {
                return false;
            }
        });
    } catch {
        return false;
    }
};

/**
 * Port -> pid of the process listening on it. The last pid found for a port is kept with its
 * socket's inode: while that pid still holds that socket (an open listening socket keeps its
 * port), it is the server, with no read of the kernel's socket tables (which hold every
 * connection of the machine: megabytes on a busy one). Otherwise the tables are read once for
 * every such port, and the processes scanned for the socket.
 */
const known = new Map();
function pidsOf(ports) {
    const pids = new Map();
    const lost = [];
    for (const port of ports) {
        const k = known.get(port);
        if (k && hasSocket(k.pid, `socket:[${k.inode}]`)) {
            pids.set(port, k.pid);
        } else {
            known.delete(port);
            lost.push(port);
        }
    }
    if (lost.length === 0) {
        return pids;
    }
    const inodes = listeningInodes(lost);
    if (inodes.size === 0) {
        return pids;
    }
    const links = new Map([...inodes].map(([port, inode]) => [`socket:[${inode}]`, { port, inode }]));
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        let fds = [];
        try {
            fds = fs.readdirSync(`/proc/${entry}/fd`);
        } catch {
            continue;
        }
        for (const fd of fds) {
            let link;
            try {
                link = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
            } catch {
                continue;
            }
            const hit = links.get(link);
            if (hit) {
                known.set(hit.port, { pid: entry, inode: hit.inode });
                pids.set(hit.port, entry);
                links.delete(link);
            }
        }
        if (links.size === 0) {
            break;
        }
    }
    return pids;
}

function sample(pid) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpu: (Number(f[11]) + Number(f[12])) / ticks, rss: rss ? Number(rss[1]) * 1024 : 0, start: bootTime + Number(f[19]) / ticks };
}

const label = (s) => JSON.stringify(String(s));
/** The targets in the folders: server -> port (a file being written or removed is skipped until the next scrape). */
function targetPorts() {
    /** @type {Record<string, number>} */
    const ports = {};
    for (const [server, address] of Object.entries(Object.assign({}, ...targetFolders.map(readScrapeTargets)))) {
        const port = /:(\d{1,5})$/.exec(address);
        if (port) {
            ports[server] = Number(port[1]);
        }
    }
    return ports;
}

function metrics() {
    const servers = targetPorts();
    const rows = { up: [], cpu: [], rss: [], start: [] };
    const pids = pidsOf(Object.values(servers).map(Number));
    for (const [server, port] of Object.entries(servers)) {
        let s;
        try {
            const pid = pids.get(Number(port));
            s = pid && sample(pid);
        } catch {
            s = undefined; // the process ended between the look-up and the read
        }
        rows.up.push(`zdr_server_up{server=${label(server)}} ${s ? 1 : 0}`);
        if (s) {
            rows.cpu.push(`zdr_server_cpu_seconds_total{server=${label(server)}} ${s.cpu}`);
            rows.rss.push(`zdr_server_resident_memory_bytes{server=${label(server)}} ${s.rss}`);
            rows.start.push(`zdr_server_start_time_seconds{server=${label(server)}} ${s.start}`);
        }
    }
    return [
        "# HELP zdr_server_up 1 while a process listens on the server's port.",
        "# TYPE zdr_server_up gauge", ...rows.up,
        "# HELP zdr_server_cpu_seconds_total User and system CPU time of the server's process.",
        "# TYPE zdr_server_cpu_seconds_total counter", ...rows.cpu,
        "# HELP zdr_server_resident_memory_bytes Resident memory of the server's process.",
        "# TYPE zdr_server_resident_memory_bytes gauge", ...rows.rss,
        "# HELP zdr_server_start_time_seconds Start time of the server's process (epoch seconds).",
        "# TYPE zdr_server_start_time_seconds gauge", ...rows.start,
        "",
    ].join("\n");
}

const server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url.split("?")[0] !== "/metrics") {
        res.writeHead(404).end();
        return;
    }
    let body;
    try {
        body = metrics();
    } catch (e) {
        res.writeHead(500, { "content-type": "text/plain" }).end(`${e.message}\n`);
        return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body);
});
server.listen(Number(listenMatch[2]), listenMatch[1].replace(/[[\]]/g, ""), () => console.log(`process-metrics: listening on ${listen}, targets from ${targetFolders.join(", ")}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
