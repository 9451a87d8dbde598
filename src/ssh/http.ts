// One HTTP GET from a host reached over SSH (the request leaves from the host, through the SSH
// connection's direct-tcpip channel): Node's own HTTP client on that channel, so headers, chunked
// bodies and keep-alive are parsed by Node, not by us.
import * as http from "node:http";
import type { Duplex } from "node:stream";
import { SshError, sshForwardTcp } from "./client";
import type { SshHost } from "../../contract/ssh";

export interface HttpAnswer {
    readonly status?: number;
    readonly headers?: http.IncomingHttpHeaders;
    /** At most maxBytes of the body, as text. */
    readonly body?: string;
    /** Why there is no answer. */
    readonly error?: string;
}

/** GET http://address:port<path> from the host; bounded by timeoutMs, the body by maxBytes. */
export async function sshHttpGet(t: SshHost, address: string, port: number, path: string, timeoutMs: number, maxBytes = 65536): Promise<HttpAnswer> {
    let stream: Duplex;
    try {
        stream = await sshForwardTcp(t, address, port);
    } catch (e) {
        if (e instanceof SshError && /cannot connect from the host/.test(e.message)) {
            return { error: `nothing accepts connections on ${address}:${port}` };
        }
        throw e;
    }
    return new Promise((resolve) => {
        let settled = false;
        const settle = (a: HttpAnswer) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                stream.destroy();
                resolve(a);
            }
        };
        const timer = setTimeout(() => settle({ error: `no answer in ${timeoutMs} ms` }), timeoutMs);
        const req = http.request({ host: address, port, path, method: "GET", headers: { "user-agent": "zdr-status", connection: "close" }, createConnection: () => stream as never }, (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (d: Buffer) => {
                if (size < maxBytes) {
                    chunks.push(d.subarray(0, maxBytes - size));
                    size += d.length;
                }
            });
            const done = () => settle({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
            res.once("end", done);
            res.once("close", done);
            res.once("error", done);
        });
        req.once("error", (e) => settle({ error: e.message }));
        req.end();
    });
}
