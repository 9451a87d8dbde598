// A client for HAProxy's runtime API: one command per connection on the admin socket (a unix
// socket or host:port, or any stream a transport opens to it, e.g. through SSH), answer read
// until HAProxy closes the connection.
// Reference: HAProxy management guide, "9.3 Unix Socket commands".
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { SshHost } from "../../contract/ssh";
import { sshStreamLocal } from "../ssh/client";

/** Opens a stream to the admin socket some other way than this machine's network (e.g. SSH). */
export type RuntimeTransport = () => Promise<Duplex>;

export type ServerAdminState = "ready" | "drain" | "maint";

export interface ServerStat {
    readonly backend: string;
    readonly server: string;
    /** Operational status as HAProxy shows it: UP, DOWN, MAINT, DRAIN, "UP 1/2", "no check", ... */
    readonly status: string;
    /** Current sessions. */
    readonly scur: number;
    /** Queued requests. */
    readonly qcur: number;
    /** Total sessions. */
    readonly stot: number;
    readonly hrsp5xx: number;
    /** Connection errors to the server. */
    readonly econ: number;
    /** Response errors from the server. */
    readonly eresp: number;
    /** Retries (connection attempts again on this server). */
    readonly wretr: number;
    /** Redispatches (requests moved away from this server). */
    readonly wredis: number;
}

/** One server of `show servers state` (format version 1): what HAProxy carries over a reload. */
export interface ServerState {
    readonly backend: string;
    readonly server: string;
    readonly address: string;
    readonly port: number;
    /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
    readonly opState: number;
    /** srv_admin_state bit field: 0x01 forced maintenance, 0x08 forced drain, ... 0 is ready. */
    readonly adminState: number;
}

/** A process of HAProxy's master CLI `show proc`. */
export interface HaproxyProc {
    readonly pid: number;
    readonly type: "master" | "worker";
    /** The current worker (false: an old worker still finishing its connections after a reload). */
    readonly current: boolean;
    /** On the master: reloads so far and how many of them failed. */
    readonly reloads: number;
    readonly failedReloads: number;
}

export class HaproxyRuntime {
    /**
     * @param address a unix socket path, or `host:port` for a TCP stats socket; with a transport,
     *     only the name of the socket in messages
     * @param transport opens the stream to the socket instead of this machine's network
     */
    constructor(readonly address: string, readonly timeoutMs = 5000, private readonly transport?: RuntimeTransport) {}

    /** Sends one command and returns HAProxy's whole answer. */
    async command(cmd: string): Promise<string> {
        if (this.transport) {
            return this.exchange(cmd, await this.transport(), true);
        }
        const tcp = /^([^/:]+):(\d+)$/.exec(this.address);
        return this.exchange(cmd, tcp ? net.connect(Number(tcp[2]), tcp[1]) : net.connect(this.address), false);
    }

    private exchange(cmd: string, socket: Duplex, connected: boolean): Promise<string> {
        return new Promise((resolve, reject) => {
            let answer = "";
            socket.setEncoding("utf8");
            const timer = setTimeout(
                () => socket.destroy(new Error(`HAProxy runtime API at ${this.address}: no answer to "${cmd}" in ${this.timeoutMs} ms`)),
                this.timeoutMs,
            );
            if (connected) {
                socket.end(`${cmd}\n`);
            } else {
                socket.on("connect", () => socket.end(`${cmd}\n`));
            }
            socket.on("data", (d: string) => (answer += d));
            socket.on("error", (e) => {
                clearTimeout(timer);
                reject(new Error(`HAProxy runtime API at ${this.address}: ${e.message}`));
            });
            socket.on("close", (hadError?: boolean) => {
                clearTimeout(timer);
                if (!hadError) {
                    resolve(answer);
                }
            });
        });
    }

    /** `set server <backend>/<server> state <state>`; HAProxy answers nothing on success. */
    async setServerState(backend: string, server: string, state: ServerAdminState): Promise<void> {
        const answer = (await this.command(`set server ${backend}/${server} state ${state}`)).trim();
        if (answer !== "") {
            throw new Error(`HAProxy refused "set server ${backend}/${server} state ${state}": ${answer}`);
        }
    }

    /** `set server <backend>/<server> health <health>`: forces the health-check state. */
    async setServerHealth(backend: string, server: string, health: "up" | "down"): Promise<void> {
        const answer = (await this.command(`set server ${backend}/${server} health ${health}`)).trim();
        if (answer !== "") {
            throw new Error(`HAProxy refused "set server ${backend}/${server} health ${health}": ${answer}`);
        }
    }

    /**
     * `add server <backend>/<server> <address> check <check...>` then `enable health`: a dynamic
     * server, in maintenance until a membership reattaches it (HAProxy creates it so). Dynamic
     * servers take nothing from `default-server`: the check settings must be given here.
     */
    async addServer(backend: string, server: string, address: string, check: readonly string[]): Promise<void> {
        const cmd = `add server ${backend}/${server} ${address} check ${check.join(" ")}`.trim();
        const answer = (await this.command(cmd)).trim();
        if (answer !== "New server registered.") {
            throw new Error(`HAProxy refused "${cmd}": ${answer}`);
        }
        const health = (await this.command(`enable health ${backend}/${server}`)).trim();
        if (health !== "") {
            throw new Error(`HAProxy refused "enable health ${backend}/${server}": ${health}`);
        }
    }

    /** `del server`: the server must be in maintenance with no connection and nothing queued. */
    async delServer(backend: string, server: string): Promise<void> {
        const answer = (await this.command(`del server ${backend}/${server}`)).trim();
        if (answer !== "Server deleted.") {
            throw new Error(`HAProxy refused "del server ${backend}/${server}": ${answer}`);
        }
    }

    /** `show servers state` as HAProxy prints it: the text a server-state-file holds. */
    async serversStateText(): Promise<string> {
        const text = await this.command("show servers state");
        parseServersState(text);
        return text;
    }

    async serversState(backend: string): Promise<ServerState[]> {
        return parseServersState(await this.command("show servers state")).filter((s) => s.backend === backend);
    }

    /** Parsed `show stat` for the servers of one backend (frontend and BACKEND rows left out). */
    async serverStats(backend: string): Promise<ServerStat[]> {
        return parseShowStat(await this.command("show stat"), backend);
    }

    async serverStat(backend: string, server: string): Promise<ServerStat> {
        const stat = (await this.serverStats(backend)).find((s) => s.server === server);
        if (!stat) {
            throw new Error(`HAProxy has no server ${backend}/${server}`);
        }
        return stat;
    }
}

/** Parses the CSV of `show stat` (its header line starts with "# "). */
export function parseShowStat(csv: string, backend: string): ServerStat[] {
    const lines = csv.split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0 || !lines[0].startsWith("# ")) {
        throw new Error(`unexpected answer to "show stat": ${csv.slice(0, 200)}`);
    }
    const header = lines[0].slice(2).split(",");
    const col = (name: string) => {
        const i = header.indexOf(name);
        if (i < 0) {
            throw new Error(`"show stat" has no column ${name}`);
        }
        return i;
    };
    const [px, sv, status, scur, qcur, stot, h5, econ, eresp, wretr, wredis] = [
        "pxname", "svname", "status", "scur", "qcur", "stot", "hrsp_5xx", "econ", "eresp", "wretr", "wredis",
    ].map(col);
    return lines
        .slice(1)
        .map((l) => l.split(","))
        .filter((f) => f[px] === backend && f[sv] !== "BACKEND" && f[sv] !== "FRONTEND")
        .map((f) => ({
            backend: f[px],
            server: f[sv],
            status: f[status],
            scur: Number(f[scur] || 0),
            qcur: Number(f[qcur] || 0),
            stot: Number(f[stot] || 0),
            hrsp5xx: Number(f[h5] || 0),
            econ: Number(f[econ] || 0),
            eresp: Number(f[eresp] || 0),
            wretr: Number(f[wretr] || 0),
            wredis: Number(f[wredis] || 0),
        }));
}

/** Is this HAProxy's answer for a server it does not have (`No such server.`, `No such backend.`)? */
export function isNoSuchServer(e: unknown): boolean {
    return e instanceof Error && /No such (server|backend)|has no server/.test(e.message);
}

/**
 * Parses `show servers state` (version 1): a line "1", a header line "# be_id be_name srv_id
 * srv_name srv_addr srv_op_state srv_admin_state ... srv_port ...", then one line per server.
 */
export function parseServersState(text: string): ServerState[] {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (lines[0]?.trim() !== "1" || !lines[1]?.startsWith("# ")) {
        throw new Error(`unexpected answer to "show servers state" (version 1 expected): ${text.slice(0, 200)}`);
    }
    const header = lines[1].slice(2).trim().split(/\s+/);
    const col = (name: string) => {
        const i = header.indexOf(name);
        if (i < 0) {
            throw new Error(`"show servers state" has no column ${name}`);
        }
        return i;
    };
    const [be, sv, addr, op, admin, port] = ["be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state", "srv_port"].map(col);
    return lines.slice(2).map((l) => {
        const f = l.trim().split(/\s+/);
        return { backend: f[be], server: f[sv], address: f[addr], port: Number(f[port]), opState: Number(f[op]), adminState: Number(f[admin]) };
    });
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(text: string): HaproxyProc[] {
    const procs: HaproxyProc[] = [];
    let section = "";
    for (const line of text.split("\n")) {
        const l = line.trim();
        if (l.startsWith("#")) {
            section = l;
            continue;
        }
        const m = /^(\d+)\s+(master|worker)\s+(\d+)(?:\s+\[failed: (\d+)\])?/.exec(l);
        if (!m) {
            continue;
        }
        procs.push({
            pid: Number(m[1]),
            type: m[2] as HaproxyProc["type"],
            current: m[2] === "master" || section === "# workers",
            reloads: Number(m[3]),
            failedReloads: Number(m[4] ?? 0),
        });
    }
    if (!procs.some((p) => p.type === "master")) {
        throw new Error(`unexpected answer to "show proc": ${text.slice(0, 200)}`);
    }
    return procs;
}

/**
 * HAProxy's master CLI (master-worker mode, `-S <socket>`): the processes, a reload, and any
 * runtime API command sent to one worker, old ones included (`@!<pid> <command>`).
 */
export class HaproxyMaster {
    private readonly cli: HaproxyRuntime;

    constructor(readonly address: string, timeoutMs = 5000) {
        this.cli = new HaproxyRuntime(address, timeoutMs);
    }

    async processes(): Promise<HaproxyProc[]> {
        return parseShowProc(await this.cli.command("show proc"));
    }

    /** Asks the master to reload (as SIGUSR2 does); the master closes the connection. */
    async reload(): Promise<void> {
        await this.cli.command("reload");
    }

    /** A runtime API command answered by the worker with this pid. */
    worker(pid: number): Pick<HaproxyRuntime, "command"> {
        return { command: (cmd: string) => this.cli.command(`@!${pid} ${cmd}`) };
    }
}

/** The runtime API of an HAProxy: its admin socket on this machine, or on `ssh`'s host through SSH. */
export function runtimeOf(at: { readonly runtimeApi: string; readonly ssh?: SshHost }): HaproxyRuntime {
    const ssh = at.ssh;
    if (!ssh) {
        return new HaproxyRuntime(at.runtimeApi);
    }
    return new HaproxyRuntime(`${ssh.label ?? ssh.host}:${at.runtimeApi} (over SSH)`, 5000, () => sshStreamLocal(ssh, at.runtimeApi));
}
