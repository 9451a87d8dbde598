// Test hosts as network namespaces: each host is a namespace with one veth link into a bridge
// that this fixture creates, an address from 198.18.0.0/15 (the range reserved for network
// tests) and Debian's OpenSSH server with host keys generated for this run. The machine running
// the test (where `pulumi up` runs) has the bridge's address, so it reaches the hosts and the
// hosts reach each other and it; no namespace has a route anywhere else.
//
// A host can run its own systemd-journald (opts.journald), as a systemd host does, without systemd
// as PID 1 on this machine: the host gets a cgroup of its own in this machine's cgroup2 hierarchy
// (zdr<pid>-<name>) and a cgroup namespace rooted there, so that the host sees /system.slice/...
// as a systemd host does; and a mount namespace with its own /run/systemd (journald's sockets and
// its configuration drop-in), /run/log/journal (the journal, volatile) and an empty
// /var/log/journal over this machine's. journald runs in /system.slice/systemd-journald.service
// and sshd in /system.slice/ssh.service, in the same namespaces (nsenter into journald's), so
// every SSH session sees the host's journal. A process a host's deploy command puts into
// /sys/fs/cgroup/system.slice/<unit>/cgroup.procs with its output on journald's stdout stream
// (test/apps/hosts/journal-exec does both as systemd does) is logged as systemd logs a service's
// output: journald itself sets its _SYSTEMD_UNIT from that cgroup, and `journalctl -u <unit>`
// finds it.
//
// close() (and, should the test process die first, an exit handler) kills every process in the
// fixture's namespaces by its pid (sshd, journald and whatever the hosts' commands started),
// deletes the namespaces, the bridge and the hosts' cgroups, and removes the keys and configuration.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";
import type { StageValue } from "../../src/release/stages";
import { localStackApp } from "../../src/stack-file";

const sshd = "/usr/sbin/sshd";
const journald = "/lib/systemd/systemd-journald";

export interface NetnsHost {
    /** The host's name in the test (also the suffix of its namespace). */
    readonly name: string;
    /** The network namespace. */
    readonly ns: string;
    readonly address: string;
    /** The host's known_hosts line ("<address> ssh-ed25519 AAAA..."). */
    readonly knownHostsLine: string;
    /** The host key's SHA256 fingerprint as ssh-keygen -l prints it. */
    readonly fingerprint: string;
    /** The folder with this host's sshd configuration, keys and logs. */
    readonly dir: string;
    /** The host's own journald, when it runs one (opts.journald). */
    readonly journal?: NetnsJournal;
}

export interface NetnsJournal {
    /** systemd-journald's pid (its namespaces are the host's: sshd and exec enter them). */
    readonly pid: number;
    /** The host's cgroup in this machine's cgroup2 hierarchy (the host's /sys/fs/cgroup). */
    readonly cgroup: string;
}

export interface NetnsHosts {
    readonly hosts: readonly NetnsHost[];
    /** This machine's address on the hosts' network (the bridge's). */
    readonly gateway: string;
    /** The /24 the fixture uses, e.g. 198.18.42.0/24. */
    readonly subnet: string;
    /** The throwaway client key (OpenSSH private key text) every host's sshd accepts for root. */
    readonly privateKey: string;
    /** The fixture's folder (keys, configs, logs). */
    readonly dir: string;
    host(name: string): NetnsHost;
    /** Runs argv inside a host's namespaces and returns its stdout (throws on a non-zero exit). */
    exec(name: string, argv: readonly string[], timeoutMs?: number): string;
    /** Starts argv inside a host's namespaces, detached, output to logFile; returns its pid. */
    spawn(name: string, argv: readonly string[], logFile: string, env?: Record<string, string>): number;
    /** The pids of every process in the host's namespace. */
    pids(name: string): number[];
    /** Stops the host's sshd (the listener and every session it serves). */
    stopSshd(name: string): Promise<void>;
    /** Starts the host's sshd again (same keys, same configuration), once its port accepts. */
    startSshd(name: string): Promise<void>;
    /**
     * Makes `privateKey` (OpenSSH text) the host's only SSH host key, as cloud-init's `ssh_keys`
     * does on an instance's first boot, and restarts its sshd with it; updates the host's
     * knownHostsLine and fingerprint.
     */
    installHostKey(name: string, privateKey: string): Promise<void>;
    /** Takes the host's link down (unreachable) or up again. */
    setLink(name: string, up: boolean): void;
    close(): Promise<void>;
}

function run(argv: readonly string[], timeoutMs = 10_000): string {
    return execFileSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 });
}

function tryRun(argv: readonly string[]): void {
    try {
        run(argv);
    } catch {
        // already gone
    }
}

/** A /24 of 198.18.0.0/15 that no interface of this machine uses, chosen from the pid. */
function freeSubnet(): number {
    const used = run(["ip", "-4", "-o", "addr", "show"]);
    for (let i = 0; i < 250; i++) {
        const n = ((process.pid + i) % 250) + 1;
        if (!used.includes(`198.18.${n}.`)) {
            return n;
        }
    }
    throw new Error("no free /24 in 198.18.0.0/24-198.18.250.0/24 for the test hosts");
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Whether address:port accepts a TCP connection within 500 ms. */
export function tcpAccepts(address: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect(port, address);
        s.setTimeout(500, () => s.destroy());
        s.once("connect", () => {
            s.destroy();
            resolve(true);
        });
        s.once("error", () => resolve(false));
        s.once("close", () => resolve(false));
    });
}

/** Where this machine's cgroup2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid machine). */
function cgroup2Mount(): string {
    for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
        const [mount, fsType] = [line.split(" ")[4], line.split(" - ")[1]?.split(" ")[0]];
        if (fsType === "cgroup2") {
            return mount;
        }
    }
    throw new Error("a test host with its own journald needs a cgroup2 hierarchy on this machine (journald names a sender's unit from its cgroup); none is mounted (see /proc/self/mountinfo)");
}

/**
 * The script that becomes a host's journald: run by `ip netns exec` (a mount namespace of the
 * host's own) in a cgroup namespace rooted at the host's cgroup.
 */
function journaldScript(journalDir: string): string {
    return [
        "set -eu",
        "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
        `mount --bind ${journalDir}/run-systemd /run/systemd`,
        "mkdir -p /run/log",
        `mount --bind ${journalDir}/run-log /run/log`,
        "mkdir -p /var/log/journal",
        `mount --bind ${journalDir}/var-log-journal /var/log/journal`,
        "mkdir -p /sys/fs/cgroup/system.slice/systemd-journald.service /sys/fs/cgroup/system.slice/ssh.service",
        "echo $$ > /sys/fs/cgroup/system.slice/systemd-journald.service/cgroup.procs",
        `exec ${journald}`,
    ].join("\n");
}

/**
 * The host's journald configuration: its journal in /run/log/journal; this machine's kernel
 * messages are not the host's; no rate limit (journald's default, 10,000 lines a unit in 30 s
 * scaled up by the free disk space, would make a test's burst depend on this machine's disk).
 */
const journaldConf = ["[Journal]", "Storage=volatile", "ReadKMsg=no", "ForwardToSyslog=no", "ForwardToWall=no", "RateLimitIntervalSec=0", ""].join("\n");

function keyFingerprint(pubLine: string): string {
    const blob = Buffer.from(pubLine.trim().split(/\s+/)[1], "base64");
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Removes a host's cgroup and the ones under it, deepest first, once their processes are gone. */
function removeCgroup(cgroup: string): void {
    if (!fs.existsSync(cgroup)) {
        return;
    }
    const dirs = fs.readdirSync(cgroup, { recursive: true, withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(d.parentPath, d.name))
        .sort((a, b) => b.length - a.length);
    for (const d of [...dirs, cgroup]) {
        for (let i = 0; i < 20; i++) {
            try {
                fs.rmdirSync(d);
                break;
            } catch {
                // a process that was killed may take a moment to leave it
                execFileSync("sleep", ["0.05"]);
            }
        }
    }
}

/**
 * Creates the hosts; every name gets a namespace `zdr<pid>-<name>` and the address
 * 198.18.<n>.<firstHost + i> (firstHost 10 unless given: moto's EC2 gives a subnet's instances
 * .4, .5, ... in launch order). The fixture's own pid is in every name, so runs never share anything.
 */
export async function createNetnsHosts(names: readonly string[], opts: { firstHost?: number; journald?: readonly string[] } = {}): Promise<NetnsHosts> {
    if (names.length === 0 || names.length > 50 || names.some((n) => !/^[a-z][a-z0-9-]{0,15}$/.test(n))) {
        throw new Error(`createNetnsHosts: 1-50 names of lower-case letters, digits and - expected; got ${JSON.stringify(names)}`);
    }
    const unknown = (opts.journald ?? []).filter((n) => !names.includes(n));
    if (unknown.length > 0) {
        throw new Error(`createNetnsHosts: journald on ${unknown.join(", ")}, which are not among the hosts ${names.join(", ")}`);
    }
    const firstHost = opts.firstHost ?? 10;
    if (!Number.isInteger(firstHost) || firstHost < 2 || firstHost + names.length > 254) {
        throw new Error(`createNetnsHosts: firstHost ${firstHost} leaves no room for ${names.length} hosts in a /24 beside the gateway (.1)`);
    }
    const id = process.pid;
    const n = freeSubnet();
    const gateway = `198.18.${n}.1`;
    const bridge = `zb${id}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-hosts-"));
    const sshdPids = new Map<string, number>();
    const hosts: NetnsHost[] = names.map((name, i) => ({
        name,
        ns: `zdr${id}-${name}`,
        address: `198.18.${n}.${firstHost + i}`,
        knownHostsLine: "",
        fingerprint: "",
        dir: path.join(dir, name),
    }));
    const byName = (name: string) => {
        const h = hosts.find((x) => x.name === name);
        if (!h) {
            throw new Error(`no test host ${name}; the hosts are ${names.join(", ")}`);
        }
        return h;
    };
    const pidsOf = (name: string): number[] => {
        try {
            return run(["ip", "netns", "pids", byName(name).ns]).split("\n").filter((l) => /^\d+$/.test(l.trim())).map(Number);
        } catch {
            return [];
        }
    };

    let closed = false;
    /** Synchronous, so that the exit handler can run it too. */
    const teardown = () => {
        if (closed) {
            return;
        }
        closed = true;
        for (let round = 0; round < 20; round++) {
            const left = hosts.flatMap((h) => pidsOf(h.name));
            if (left.length === 0) {
                break;
            }
            for (const pid of left) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    // exited meanwhile
                }
            }
            execFileSync("sleep", ["0.1"]);
        }
        for (const h of hosts) {
            tryRun(["ip", "netns", "del", h.ns]);
            if (h.journal) {
                removeCgroup(h.journal.cgroup);
            }
        }
        tryRun(["ip", "link", "del", bridge]);
        fs.rmSync(dir, { recursive: true, force: true });
        process.removeListener("exit", teardown);
    };
    process.on("exit", teardown);

    /** The argv prefix that runs a command in a host's namespaces (its journald's, when it has one). */
    const enter = (h: NetnsHost): string[] =>
        h.journal ? ["nsenter", `--target=${h.journal.pid}`, "--mount", "--net", "--cgroup"] : ["ip", "netns", "exec", h.ns];

    const startJournald = async (h: NetnsHost) => {
        const journalDir = path.join(h.dir, "journal");
        for (const d of ["run-systemd/journald.conf.d", "run-log", "var-log-journal"]) {
            fs.mkdirSync(path.join(journalDir, d), { recursive: true });
        }
        fs.writeFileSync(path.join(journalDir, "run-systemd/journald.conf.d/zdr-test.conf"), journaldConf);
        const cgroup = path.join(cgroup2Mount(), h.ns);
        fs.mkdirSync(cgroup);
        const log = fs.openSync(path.join(h.dir, "journald.log"), "a");
        // into the host's cgroup first: the cgroup namespace is rooted where unshare runs
        const child = spawn("sh", ["-c", `echo $$ > ${cgroup}/cgroup.procs && exec ip netns exec ${h.ns} unshare --cgroup sh -c "$0"`, journaldScript(journalDir)], { detached: true, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.unref();
        // sh, ip, unshare and sh exec in place: the pid is journald's
        Object.assign(h, { journal: { pid: child.pid as number, cgroup } });
        for (let i = 0; i < 100; i++) {
            if (fs.existsSync(path.join(journalDir, "run-systemd/journal/stdout")) && fs.existsSync(path.join(cgroup, "system.slice/ssh.service"))) {
                return;
            }
            if (child.exitCode !== null) {
                break;
            }
            await sleep(50);
        }
        throw new Error(`systemd-journald on test host ${h.name} did not start; see ${path.join(h.dir, "journald.log")}`);
    };

    const startSshd = async (name: string) => {
        const h = byName(name);
        const log = fs.openSync(path.join(h.dir, "sshd.log"), "a");
        const argv = [...enter(h), sshd, "-D", "-e", "-f", path.join(h.dir, "sshd_config")];
        const child = h.journal
            ? spawn("sh", ["-c", `echo $$ > ${h.journal.cgroup}/system.slice/ssh.service/cgroup.procs && exec "$@"`, "sh", ...argv], { detached: true, stdio: ["ignore", log, log] })
            : spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.unref();
        // `ip netns exec` and nsenter exec sshd in place: the pid is sshd's
        sshdPids.set(name, child.pid as number);
        for (let i = 0; i < 100; i++) {
            if (await tcpAccepts(h.address, 22)) {
                return;
            }
            if (child.exitCode !== null) {
                break;
            }
            await sleep(50);
        }
        throw new Error(`sshd on test host ${name} (${h.address}) did not start; see ${path.join(h.dir, "sshd.log")}`);
    };

    const stopSshd = async (name: string) => {
        // the listener, then every session process it forked (a restart that drops sessions)
        const listener = sshdPids.get(name);
        const sessions = pidsOf(name).filter((pid) => {
            try {
                return fs.readlinkSync(`/proc/${pid}/exe`) === sshd;
            } catch {
                return false;
            }
        });
        for (const pid of [...(listener ? [listener] : []), ...sessions]) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // exited meanwhile
            }
        }
        const h = byName(name);
        for (let i = 0; i < 100 && (await tcpAccepts(h.address, 22)); i++) {
            await sleep(20);
        }
    };

    try {
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege-separation folder
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `zdr-test-${id}`, "-f", path.join(dir, "client_key")]);
        fs.copyFileSync(path.join(dir, "client_key.pub"), path.join(dir, "authorized_keys"));
        run(["ip", "link", "add", bridge, "type", "bridge"]);
        run(["ip", "addr", "add", `${gateway}/24`, "dev", bridge]);
        run(["ip", "link", "set", bridge, "up"]);
        for (const [i, h] of hosts.entries()) {
            const outer = `zv${id}x${i}`;
            const inner = `zi${id}x${i}`;
            run(["ip", "netns", "add", h.ns]);
            run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner]);
            run(["ip", "link", "set", inner, "netns", h.ns]);
            run(["ip", "-n", h.ns, "link", "set", inner, "name", "eth0"]);
            run(["ip", "-n", h.ns, "addr", "add", `${h.address}/24`, "dev", "eth0"]);
            run(["ip", "-n", h.ns, "link", "set", "eth0", "up"]);
            run(["ip", "-n", h.ns, "link", "set", "lo", "up"]);
            run(["ip", "link", "set", outer, "master", bridge]);
            run(["ip", "link", "set", outer, "up"]);

            fs.mkdirSync(h.dir, { recursive: true });
            const hostKey = path.join(h.dir, "ssh_host_ed25519_key");
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name, "-f", hostKey]);
            const pub = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
            Object.assign(h, { knownHostsLine: `${h.address} ${pub}`, fingerprint: keyFingerprint(pub) });
            fs.writeFileSync(path.join(h.dir, "sshd_config"), [
                `ListenAddress ${h.address}`,
                "Port 22",
                `HostKey ${hostKey}`,
                `PidFile ${path.join(h.dir, "sshd.pid")}`,
                `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                // the keys are in a temporary folder that sshd's ownership checks would refuse
                "StrictModes no",
                "AllowTcpForwarding yes",
                "AllowStreamLocalForwarding yes",
                "LogLevel VERBOSE",
                "",
            ].join("\n"));
            if (opts.journald?.includes(h.name)) {
                await startJournald(h);
            }
            await startSshd(h.name);
        }
    } catch (e) {
        teardown();
        throw e;
    }

    return {
        hosts,
        gateway,
        subnet: `198.18.${n}.0/24`,
        privateKey: fs.readFileSync(path.join(dir, "client_key"), "utf8"),
        dir,
        host: byName,
        exec(name, argv, timeoutMs = 10_000) {
            return run([...enter(byName(name)), ...argv], timeoutMs);
        },
        spawn(name, argv, logFile, env = {}) {
            const log = fs.openSync(logFile, "a");
            const prefix = enter(byName(name));
            const child = spawn(prefix[0], [...prefix.slice(1), ...argv], { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } });
            fs.closeSync(log);
            child.unref();
            return child.pid as number;
        },
        pids: pidsOf,
        stopSshd,
        startSshd,
        async installHostKey(name, privateKey) {
            const h = byName(name);
            const hostKey = path.join(h.dir, "ssh_host_ed25519_key");
            fs.writeFileSync(hostKey, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
            const pub = run(["ssh-keygen", "-y", "-f", hostKey]).trim().split(/\s+/).slice(0, 2).join(" ");
            fs.writeFileSync(`${hostKey}.pub`, `${pub} ${h.name}\n`);
            Object.assign(h, { knownHostsLine: `${h.address} ${pub}`, fingerprint: keyFingerprint(pub) });
            await stopSshd(name);
            await startSshd(name);
        },
        setLink(name, up) {
            run(["ip", "-n", byName(name).ns, "link", "set", "eth0", up ? "up" : "down"]);
        },
        async close() {
            teardown();
        },
    };
}

/**
 * The stack config of a hosts-target stack on these namespace hosts, as the e2e files share it:
 * the sample webshop (test/apps/hosts/webshop.sh started and stopped over SSH, its database
 * PostgreSQL on this machine at the fleet's gateway), HAProxy's admin socket on the host `lb`, the
 * fleet's host keys, short time-outs for a test. A file adds its own keys (haproxyLogFile,
 * bakeSeconds, ...) beside it.
 */
export function hostsStackConfig(
    fleet: NetnsHosts,
    o: {
        readonly servers: readonly string[];
        /** The HAProxy host. */
        readonly lb: string;
        readonly haproxySocket: string;
        readonly appPort: number;
        readonly dbPort: number;
        /** The deploy writes each server's output to <fleet dir>/logs/<server>.log on its host. @default false */
        readonly logPerServer?: boolean;
    },
): Record<string, StageValue> {
    const script = `${projectRoot}/test/apps/hosts/webshop.sh`;
    const server = o.logPerServer ? " {server}" : "";
    return {
        ...localStackApp(projectRoot),
        startCommand: [],
        target: "hosts",
        hosts: o.servers.map((s) => `${s}=${fleet.host(s).address}`),
        haproxyHost: fleet.host(o.lb).address,
        haproxySocket: o.haproxySocket,
        knownHosts: fleet.hosts.map((h) => h.knownHostsLine),
        sshUser: "root",
        sshTimeoutSeconds: "3",
        commandTimeoutSeconds: "30",
        appPort: String(o.appPort),
        deployCommand: `${script} start {version} ${fleet.dir}${server}`,
        stopCommand: `${script} stop {version} ${fleet.dir}${server}`,
        dbHost: fleet.gateway,
        dbPortRemote: String(o.dbPort),
        healthPollIntervalMs: "100",
        stableVersion: "v1",
        drainTimeoutSeconds: "5",
        healthCheckIntervalMs: "200",
        healthTimeoutSeconds: "10",
    };
}
