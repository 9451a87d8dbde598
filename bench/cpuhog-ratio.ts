// How much CPU a request `cpuhog` spends against v2's, side by side in one run: the sample
// webshop's v2 and v1, its cpuhog as this tree has it, and (when given a git revision) cpuhog as that
// revision had it, each a real process on loopback against one real PostgreSQL, each sent the same
// requests at the same rate by one loop. The CPU is each process's own (utime + stime of every
// thread, /proc/<pid>/stat), over the requests it answered in the measured window, after a warm-up.
//   npx ts-node --transpile-only bench/cpuhog-ratio.ts [rate=100] [seconds=30] [warmupSeconds=15] [oldRevision]
// e.g. `... 30 40 15 <rev>` prints cpuhog as <rev> had it beside this tree's (session 11 tried a
// burner counted by its thread's run time beside this one: 2.13-2.16x against 2.01-2.08x, dropped).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { startPostgres } from "../test/support/postgres";
import { freePort } from "../test/support/ports";

const [rate = 100, seconds = 30, warmupSeconds = 15] = process.argv.slice(2, 5).map(Number);
const oldRevision = process.argv[5];
const root = path.resolve(__dirname, "..");
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface App {
    readonly name: string;
    readonly port: number;
    readonly child: ChildProcess;
    answered: number;
    failed: number;
}

/** utime + stime of the process (every thread), in seconds. */
function cpuSeconds(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function get(port: number, pathname: string): Promise<number> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: pathname, agent: false, timeout: 5000 }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(0));
    });
}

async function main(): Promise<void> {
    const pg = await startPostgres();
    const apps: App[] = [];
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-cpuhog-"));
    try {
        const db = await pg.client();
        for (const f of ["V1__base_schema.sql", "V2__orders_channel.sql"]) {
            await db.query(fs.readFileSync(path.join(root, "app/webshop/migrations", f), "utf8"));
        }
        await db.end();
        const servers: { name: string; version: string; script: string }[] = [
            { name: "v2", version: "v2", script: path.join(root, "app/webshop/server.js") },
            // the stable version of the demo: a cpuhog canary's fresh baseline there
            { name: "v1", version: "v1", script: path.join(root, "app/webshop/server.js") },
            { name: "cpuhog", version: "cpuhog", script: path.join(root, "app/webshop/server.js") },
            // twice as much again: the hosts e2e's hog (its team check allows 2x against warm servers)
            { name: "v2+burn200", version: "v2+burn200", script: path.join(root, "app/webshop/server.js") },
        ];
        if (oldRevision) {
            // the old server beside the tree's queries (the same SQL files)
            fs.mkdirSync(path.join(tmp, "webshop"));
            fs.writeFileSync(path.join(tmp, "webshop/server.js"), execFileSync("git", ["show", `${oldRevision}:app/webshop/server.js`], { cwd: root }));
            fs.symlinkSync(path.join(root, "app/webshop/queries"), path.join(tmp, "webshop/queries"));
            fs.symlinkSync(path.join(root, "node_modules"), path.join(tmp, "node_modules"));
            servers.push({ name: `cpuhog@${oldRevision}`, version: "cpuhog", script: path.join(tmp, "webshop/server.js") });
        }
        for (const s of servers) {
            const port = await freePort();
            const child = spawn(process.execPath, [s.script], {
                stdio: ["ignore", "ignore", "inherit"],
                env: { ...process.env, APP_VERSION: s.version, PORT: String(port), PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "zdr", PGPASSWORD: pg.password, PGDATABASE: "postgres" },
            });
            apps.push({ name: s.name, port, child, answered: 0, failed: 0 });
        }
        for (const a of apps) {
            const deadline = Date.now() + 30_000;
            while ((await get(a.port, "/health")) !== 200) {
                if (Date.now() > deadline) throw new Error(`${a.name} did not answer /health within 30 s`);
                await sleep(200);
            }
        }
        // one loop sends each app the same request at the same moment, `rate` a second
        const total = Math.round((warmupSeconds + seconds) * rate);
        const started = Date.now();
        let before: number[] = [];
        let beforeCounts: number[] = [];
        let measuredFrom = 0;
        const inFlight = new Set<Promise<void>>();
        for (let i = 0; i < total; i++) {
            const due = started + (i * 1000) / rate;
            if (due > Date.now()) await sleep(due - Date.now());
            if (i === Math.round(warmupSeconds * rate)) {
                before = apps.map((a) => cpuSeconds(a.child.pid as number));
                beforeCounts = apps.map((a) => a.answered);
                measuredFrom = Date.now();
            }
            const pathname = i % 10 === 9 ? "/orders" : "/products";
            for (const a of apps) {
                const p = (pathname === "/orders" ? post(a.port) : get(a.port, pathname)).then((status) => {
                    if (status >= 200 && status < 300) a.answered++;
                    else a.failed++;
                });
                const tracked = p.finally(() => inFlight.delete(tracked));
                inFlight.add(tracked);
            }
            if (inFlight.size > 2000) await Promise.race(inFlight);
        }
        await Promise.race([Promise.all(inFlight), sleep(10_000)]);
        // what the burner still owes for the last requests: a second to catch up
        await sleep(1500);
        const after = apps.map((a) => cpuSeconds(a.child.pid as number));
        const window = (Date.now() - measuredFrom) / 1000;
        const perRequest = apps.map((a, k) => ((after[k] - before[k]) * 1e6) / Math.max(1, a.answered - beforeCounts[k]));
        const v2 = perRequest[0];
        console.log(`${seconds} s at ${rate} req/s to each (after ${warmupSeconds} s of warm-up), load ${os.loadavg()[0].toFixed(1)}, window ${window.toFixed(1)} s, CPU from /proc/<pid>/stat (${ticksPerSecond} ticks a second)`);
        console.log("app                     requests  failed  CPU s    CPU a request   x v2");
        apps.forEach((a, k) =>
            console.log(`${a.name.padEnd(22)}  ${String(a.answered - beforeCounts[k]).padStart(8)}  ${String(a.failed).padStart(6)}  ${(after[k] - before[k]).toFixed(2).padStart(6)}  ${perRequest[k].toFixed(0).padStart(8)} µs   ${(perRequest[k] / v2).toFixed(2)}`),
        );
    } finally {
        for (const a of apps) {
            if (a.child.exitCode === null) {
                const exited = new Promise((r) => a.child.once("exit", r));
                a.child.kill("SIGTERM");
                await Promise.race([exited, sleep(10_000)]);
            }
        }
        await pg.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

function post(port: number): Promise<number> {
    return new Promise((resolve) => {
        const body = JSON.stringify({ productId: 1, quantity: 1 });
        const req = http.request({ host: "127.0.0.1", port, path: "/orders", method: "POST", agent: false, timeout: 5000, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(0));
        req.end(body);
    });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
