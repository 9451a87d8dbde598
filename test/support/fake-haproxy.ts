// A fake HAProxy runtime API on a temporary unix socket: one command per connection, answered by
// a function of the test, every command recorded. For the act side of the HAProxy providers.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface FakeHaproxy {
    readonly socket: string;
    /** Every command received, in order. */
    readonly commands: string[];
    close(): Promise<void>;
}

const statHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,hrsp_5xx";

/** A `show stat` answer for the servers of backend webshop: name, status and current sessions. */
export function showStat(servers: { name: string; status: string; scur?: number }[]): string {
    const rows = servers.map((s) => `webshop,${s.name},0,0,${s.scur ?? 0},0,,0,0,0,,0,,0,0,0,0,${s.status},0`);
    return [statHeader, ...rows, ""].join("\n");
}

/** A `show servers state` answer (version 1) for servers of backend webshop. */
export function showServersState(servers: { name: string; port: number; admin?: number }[]): string {
    const header = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";
    const rows = servers.map((s, i) => `3 webshop ${i + 1} ${s.name} 127.0.0.1 2 ${s.admin ?? 0} 1 1 1 15 3 3 6 0 0 0 - ${s.port} - 0 0 - - 0`);
    return ["1", header, ...rows, ""].join("\n");
}

export async function startFakeHaproxy(answer: (command: string) => string): Promise<FakeHaproxy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-fake-haproxy-"));
    const socket = path.join(dir, "admin.sock");
    const commands: string[] = [];
    const server = net.createServer((conn) => {
        let input = "";
        conn.setEncoding("utf8");
        conn.on("data", (d: string) => {
            input += d;
            if (input.includes("\n")) {
                const cmd = input.trim();
                commands.push(cmd);
                conn.end(answer(cmd));
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return {
        socket,
        commands,
        close: () =>
            new Promise<void>((resolve) =>
                server.close(() => {
                    fs.rmSync(dir, { recursive: true, force: true });
                    resolve();
                }),
            ),
    };
}
