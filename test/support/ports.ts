// Ports for the tests' servers on 127.0.0.1. The suite runs two mocha workers at once, each
// starting HAProxy, PostgreSQL and app servers on ports it chose a moment earlier. A port taken
// from the kernel (listen on 0) comes from the ephemeral range, which every outgoing connection
// also draws from, and it is free again the moment the probe closes it: another worker could be
// handed the same one, and a readiness check would then see the other worker's server (a first
// `up` once failed so: "Connection terminated unexpectedly" from a PostgreSQL that was not its
// own). So ports come from below the ephemeral range, each reserved by a file that names the
// reserving process (O_EXCL) until that process exits; a reservation of a process that is gone
// is taken over.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Below Linux's default ephemeral range (32768-60999): no outgoing connection takes these. */
const lowest = 20000;
const highest = 32767;
const reservations = path.join(os.tmpdir(), "zdr-test-ports");
const mine: string[] = [];
process.on("exit", () => {
    for (const f of mine) {
        fs.rmSync(f, { force: true });
    }
});

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

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Reserves a port for this process; false when another live process holds it. */
function reserve(port: number): boolean {
    fs.mkdirSync(reservations, { recursive: true });
    const file = path.join(reservations, String(port));
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            fs.writeFileSync(file, String(process.pid), { flag: "wx" });
            mine.push(file);
            return true;
        } catch {
            const holder = Number(fs.readFileSync(file, "utf8").trim() || "0");
            if (holder > 0 && alive(holder)) {
                return false;
            }
            fs.rmSync(file, { force: true }); // its process is gone
        }
    }
    return false;
}

/** The first of `count` consecutive ports, reserved for this process and free a moment ago (at most 200 tries). */
export async function freePortRange(count: number): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
        const base = lowest + Math.floor(Math.random() * (highest - lowest - count + 2));
        let ok = true;
        for (let i = 0; ok && i < count; i++) {
            ok = reserve(base + i) && (await tryListen(base + i)) !== undefined;
        }
        if (ok) {
            return base;
        }
    }
    throw new Error(`no ${count} consecutive free ports in ${lowest}-${highest} on 127.0.0.1 after 200 tries`);
}

/** A TCP port on 127.0.0.1, reserved for this process and free a moment ago. */
export async function freePort(): Promise<number> {
    return freePortRange(1);
}
