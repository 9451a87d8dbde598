import * as net from "node:net";

function tryListen(port: number): Promise<number | undefined> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", () => resolve(undefined));
        srv.listen(port, "127.0.0.1", () => {
            const got = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(got));
        });
    });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
    const port = await tryListen(0);
    if (port === undefined) {
        throw new Error("no free port on 127.0.0.1");
    }
    return port;
}

/** The first of `count` consecutive free ports (at most 50 tries). */
export async function freePortRange(count: number): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const base = await freePort();
        let ok = base + count - 1 <= 65535;
        for (let i = 1; ok && i < count; i++) {
            ok = (await tryListen(base + i)) !== undefined;
        }
        if (ok) {
            return base;
        }
    }
    throw new Error(`no ${count} consecutive free ports on 127.0.0.1 after 50 tries`);
}
