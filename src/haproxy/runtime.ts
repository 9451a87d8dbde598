// A client for HAProxy's runtime API: one command per connection on the admin socket (a unix
// socket or host:port), answer read until HAProxy closes the connection.
// Reference: HAProxy management guide, "9.3 Unix Socket commands".
import * as net from "node:net";

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
}

export class HaproxyRuntime {
    /** @param address a unix socket path, or `host:port` for a TCP stats socket */
    constructor(readonly address: string, readonly timeoutMs = 5000) {}

    /** Sends one command and returns HAProxy's whole answer. */
    command(cmd: string): Promise<string> {
        return new Promise((resolve, reject) => {
            const tcp = /^([^/:]+):(\d+)$/.exec(this.address);
            const socket = tcp ? net.connect(Number(tcp[2]), tcp[1]) : net.connect(this.address);
            let answer = "";
            socket.setEncoding("utf8");
            socket.setTimeout(this.timeoutMs, () =>
                socket.destroy(new Error(`HAProxy runtime API at ${this.address}: no answer to "${cmd}" in ${this.timeoutMs} ms`)),
            );
            socket.on("connect", () => socket.end(`${cmd}\n`));
            socket.on("data", (d: string) => (answer += d));
            socket.on("error", (e) => reject(new Error(`HAProxy runtime API at ${this.address}: ${e.message}`)));
            socket.on("close", (hadError) => {
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
    const [px, sv, status, scur, qcur, stot, h5] = ["pxname", "svname", "status", "scur", "qcur", "stot", "hrsp_5xx"].map(col);
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
        }));
}
