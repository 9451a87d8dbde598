// Test hosts as network namespaces: each host is a namespace with one veth link into a bridge
// that this fixture creates, an address from 198.18.0.0/15 (the range reserved for network
// tests) and Debian's OpenSSH server with host keys generated for this run. The machine running
// the test (where `pulumi up` runs) has the bridge's address, so it reaches the hosts and the
// hosts reach each other and it; no namespace has a route anywhere else.
//
// close() (and, should the test process die first, an exit handler) kills every process in the
// fixture's namespaces by its pid (sshd and whatever the hosts' commands started), deletes the
// namespaces and the bridge, and removes the keys and configuration.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const sshd = "/usr/sbin/sshd";

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
    /** Runs argv inside a host's namespace and returns its stdout (throws on a non-zero exit). */
    exec(name: string, argv: readonly string[], timeoutMs?: number): string;
    /** Starts argv inside a host's namespace, detached, output to logFile; returns its pid. */
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
    return execFileSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
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

function keyFingerprint(pubLine: string): string {
    const blob = Buffer.from(pubLine.trim().split(/\s+/)[1], "base64");
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Creates the hosts; every name gets a namespace `zdr<pid>-<name>` and the address
 * 198.18.<n>.<firstHost + i> (firstHost 10 unless given: moto's EC2 gives a subnet's instances
 * .4, .5, ... in launch order). The fixture's own pid is in every name, so runs never share anything.
 */
export async function createNetnsHosts(names: readonly string[], opts: { firstHost?: number } = {}): Promise<NetnsHosts> {
    if (names.length === 0 || names.length > 50 || names.some((n) => !/^[a-z][a-z0-9-]{0,15}$/.test(n))) {
        throw new Error(`createNetnsHosts: 1-50 names of lower-case letters, digits and - expected; got ${JSON.stringify(names)}`);
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
        }
        tryRun(["ip", "link", "del", bridge]);
        fs.rmSync(dir, { recursive: true, force: true });
        process.removeListener("exit", teardown);
    };
    process.on("exit", teardown);

    const startSshd = async (name: string) => {
        const h = byName(name);
        const log = fs.openSync(path.join(h.dir, "sshd.log"), "a");
        const child = spawn("ip", ["netns", "exec", h.ns, sshd, "-D", "-e", "-f", path.join(h.dir, "sshd_config")], { detached: true, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.unref();
        // `ip netns exec` execs sshd in place: the pid is sshd's
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
            return run(["ip", "netns", "exec", byName(name).ns, ...argv], timeoutMs);
        },
        spawn(name, argv, logFile, env = {}) {
            const log = fs.openSync(logFile, "a");
            const child = spawn("ip", ["netns", "exec", byName(name).ns, ...argv], { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } });
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
