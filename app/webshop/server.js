// The sample webshop: products and orders in PostgreSQL, one file for all versions.
//   v1  reads and writes products.legacy_code
//   v2  stops reading legacy_code; writes orders.channel (added by migrations/v2.sql)
//   v3  like v2; its release drops legacy_code (migrations/v3.sql), safe once no v1 is live
//   broken  like v2, but its health check always fails: a bad release for the tests
//   faulty  like v2, but 3% of its requests fail with a new error: a bad canary for the tests
//   logfault  like v2, and every request succeeds, but 5% of them write a new error line to
//           stderr (a swallowed failure only the app's own log shows): a bad canary for the tests
// Bad canaries only metrics can catch (every request answers as v2 does, as fast; no error line):
//   leaky    like v2, but its resident memory grows by about 5 MB a second (up to 600 MB, then stays)
//   cpuhog   like v2, but after each response it spends as much CPU again as a request took
//            (measured by process.cpuUsage), in a worker thread: twice the CPU per request at the
//            same latency
//   noorders like v2, but POST /orders answers 201 without writing the order (webshop_orders_total
//            stands still)
// GET /metrics answers Prometheus' text format: webshop_requests_total and webshop_orders_total
// (orders written), and the process's CPU and resident memory (process_cpu_seconds_total,
// process_resident_memory_bytes, as client libraries name them), the app's own metricsPath.
//   <base>+<tag>  a variant of v1, v2 or v3 (by configuration: the version's name), for the canary
//           benches (bench/canary-real.ts): the base's code and SQL, and by its tag
//             slow<p>    every request (but /health) answers p% later than the base would (the
//                        handler's own time, measured, times p/100, added before the response)
//             err<p>     p% of requests fail with a new error ("injected fault: <tag>")
//             logerr<p>  p% of requests succeed but write a new error line to stderr
//             burn<p>    after each response, p% of the CPU a request took spent again, as cpuhog
//                        does (cpuhog is burn100): burn200 about 2.7x v2's (bench/cpuhog-ratio.ts)
//             (a "-<anything>" after the tag names a run: slow30-4)
//             anything else: identical to the base under another name (an A/A canary)
// A failed request carries its error signature in the x-error header (HAProxy logs it).
// Environment: PORT (HOST, default 127.0.0.1), APP_VERSION, PGHOST, PGPORT, PGUSER, PGDATABASE (and PGPASSWORD).
// SIGTERM stops accepting connections, lets in-flight requests finish, then exits.
"use strict";
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { Pool } = require("pg");

const version = process.env.APP_VERSION;
const port = Number(process.env.PORT);
const [base, tag = ""] = String(version).split("+", 2);
const variant = /^(slow|err|logerr|burn)(\d+(?:\.\d+)?)(?:-.*)?$/.exec(tag);
const slowBy = variant && variant[1] === "slow" ? Number(variant[2]) / 100 : 0;
const errorRate = variant && variant[1] === "err" ? Number(variant[2]) / 100 : 0;
const logErrorRate = variant && variant[1] === "logerr" ? Number(variant[2]) / 100 : 0;
// the CPU a request took, spent again after it this many times (cpuhog: once)
const hog = base === "cpuhog" ? 1 : variant && variant[1] === "burn" ? Number(variant[2]) / 100 : 0;
if (!["v1", "v2", "v3", "broken", "faulty", "logfault", "leaky", "cpuhog", "noorders"].includes(base) || (tag !== "" && !["v1", "v2", "v3"].includes(base)) || !port) {
    console.error(JSON.stringify({ level: "fatal", msg: "APP_VERSION must be v1, v2, v3, broken, faulty, logfault, leaky, cpuhog, noorders or <v1|v2|v3>+<tag> and PORT a port", version, port }));
    process.exit(2);
}
const pool = new Pool({ max: 5, connectionTimeoutMillis: 3000 });

// Every statement this version runs comes from queries/<version>.sql: the same file the
// schema-compatibility check reads to know what a live version uses.
const queries = Object.fromEntries(
    fs
        .readFileSync(path.join(__dirname, "queries", `${base}.sql`), "utf8")
        .split(/^-- name: /m)
        .slice(1)
        .map((block) => {
            const [name, ...sql] = block.split("\n");
            return [name.trim(), sql.filter((l) => !l.startsWith("--")).join("\n").trim().replace(/;$/, "")];
        }),
);

const counters = { requests: 0, orders: 0 };

function metrics(res) {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(
        [
            "# HELP webshop_requests_total Requests answered (health checks and metrics aside).",
            "# TYPE webshop_requests_total counter",
            `webshop_requests_total ${counters.requests}`,
            "# HELP webshop_orders_total Orders written to the database.",
            "# TYPE webshop_orders_total counter",
            `webshop_orders_total ${counters.orders}`,
            // the process's own, as every Prometheus client library's process collector names them
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
            "# TYPE process_cpu_seconds_total counter",
            `process_cpu_seconds_total ${cpuMicros() / 1e6}`,
            "# HELP process_resident_memory_bytes Resident memory size in bytes.",
            "# TYPE process_resident_memory_bytes gauge",
            `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
            "",
        ].join("\n"),
    );
}

// leaky: about 5 MB a second kept (filled, so resident), in small steps (a large allocation at
// once would slow the requests around it), bounded so a canary left for inspection stays harmless
const leaked = [];
if (version === "leaky") {
    setInterval(() => {
        if (leaked.length < 4800) leaked.push(Buffer.alloc(128 * 1024, leaked.length % 251));
    }, 25).unref();
}

// cpuhog: after each response, as much CPU again as a request took in the last full second
// (the process's CPU less what it burnt, over the requests of that second), at most 5 ms, spent in
// a worker thread (the process's CPU counts every thread): the event loop is not held, so the
// requests are as fast as v2's while the machine has a core to spare. The burn is counted in work
// (loop iterations, calibrated against the process's CPU before the server listens), not in time:
// on a starved machine it still costs the CPU it should.
const cpuMicros = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
};
const cpu = { burnt: 0, perRequest: 0, itersPerMicro: 0, backlog: 0, last: { at: 0, burnt: 0, requests: 0 } };
let burner;
if (hog > 0) {
    const { Worker } = require("node:worker_threads");
    const spin = (n) => {
        let x = 0;
        for (let i = 0; i < n; i++) x += Math.sqrt(i);
        return x;
    };
    const from = cpuMicros();
    let iterations = 0;
    while (cpuMicros() - from < 20000) iterations += (spin(10000), 10000);
    cpu.itersPerMicro = iterations / (cpuMicros() - from);
    burner = new Worker(`const { parentPort } = require("node:worker_threads");
        parentPort.on("message", ({ n, micros }) => { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i); parentPort.postMessage(x > -1 ? micros : 0); });`, { eval: true });
    // what the worker has burnt counts when it is done: counted when asked, a backlog burnt in the
    // next second read as the requests' own CPU there, and the burn grew on itself to the cap
    burner.on("message", (micros) => {
        cpu.backlog--;
        cpu.burnt += micros;
    });
    burner.unref();
    cpu.last = { at: cpuMicros(), burnt: 0, requests: 0 };
    setInterval(() => {
        const now = { at: cpuMicros(), burnt: cpu.burnt, requests: counters.requests };
        const requests = now.requests - cpu.last.requests;
        if (requests > 0) {
            cpu.perRequest = Math.min(5000, Math.max(0, (now.at - cpu.last.at - (now.burnt - cpu.last.burnt)) / requests));
        }
        cpu.last = now;
    }, 1000).unref();
}
function burnLikeARequest() {
    if (cpu.backlog > 1000 || cpu.perRequest === 0) return;
    cpu.backlog++;
    burner.postMessage({ n: Math.round(cpu.perRequest * hog * cpu.itersPerMicro), micros: cpu.perRequest * hog });
}

function send(res, status, body, error) {
    const headers = { "content-type": "application/json", "x-app-version": version };
    if (error) headers["x-error"] = error.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
}

async function readJson(req) {
    let body = "";
    for await (const chunk of req) {
        body += chunk;
        if (body.length > 10000) throw new Error("request body too large");
    }
    return body ? JSON.parse(body) : {};
}

async function handle(req, res) {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "GET" && url.pathname === "/metrics") {
        return metrics(res);
    }
    if (req.method === "GET" && url.pathname === "/health") {
        if (version === "broken") {
            return send(res, 503, { status: "failing", check: "orders queue" });
        }
        await pool.query(queries.health);
        return send(res, 200, { status: "ok", version });
    }
    if (version === "faulty" && url.pathname !== "/health" && Math.random() < 0.03) {
        throw new Error("injected fault: payment gateway timeout");
    }
    if (version === "logfault" && url.pathname !== "/health" && Math.random() < 0.05) {
        process.stderr.write(`ERROR loyalty points not credited for request ${Math.floor(Math.random() * 1e6)}: points service refused\n`);
    }
    if (errorRate > 0 && url.pathname !== "/health" && Math.random() < errorRate) {
        throw new Error(`injected fault: ${tag}`);
    }
    if (logErrorRate > 0 && url.pathname !== "/health" && Math.random() < logErrorRate) {
        process.stderr.write(`ERROR coupon ${Math.floor(Math.random() * 1e6)} not applied: ${tag} refused\n`);
    }
    if (req.method === "GET" && (url.pathname === "/" || url.pathname === "/products")) {
        const { rows } = await pool.query(queries.listProducts);
        return send(res, 200, { version, products: rows });
    }
    if (req.method === "GET" && url.pathname === "/slow") {
        // A slow page (a report, a large export): keeps a request in flight for `ms`, so that
        // drains have something to wait for. Bounded to 10 s.
        const ms = Math.min(10000, Math.max(0, Number(url.searchParams.get("ms")) || 0));
        const { rows } = await pool.query(queries.listProducts);
        await new Promise((r) => setTimeout(r, ms));
        return send(res, 200, { version, products: rows.length, sleptMs: ms });
    }
    if (req.method === "POST" && url.pathname === "/orders") {
        const { productId = 1, quantity = 1 } = await readJson(req);
        if (version === "noorders") {
            // the bug: the order is acknowledged and never written
            return send(res, 201, { version, orderId: Math.floor(Math.random() * 1e9) });
        }
        const { rows } = await pool.query(queries.placeOrder, [productId, quantity]);
        counters.orders++;
        return send(res, 201, { version, orderId: rows[0].id });
    }
    return send(res, 404, { error: "not found" });
}

const server = http.createServer((req, res) => {
    if (req.url !== "/health" && req.url !== "/metrics") {
        counters.requests++;
        if (hog > 0) res.on("finish", burnLikeARequest);
    }
    if (slowBy > 0 && !req.url.startsWith("/health")) {
        // Node sends the headers with the body: delaying end() delays the whole response
        const started = process.hrtime.bigint();
        const end = res.end.bind(res);
        res.end = (...args) => {
            const ms = (Number(process.hrtime.bigint() - started) / 1e6) * slowBy;
            setTimeout(() => end(...args), ms);
            return res;
        };
    }
    handle(req, res).catch((err) => {
        console.log(JSON.stringify({ t: Date.now(), level: "error", version, path: req.url, msg: err.message }));
        if (!res.headersSent) send(res, 500, { error: err.message }, err.message);
    });
});
server.keepAliveTimeout = 5000;
// HOST: the address to listen on (a host of the hosts target listens on its own address)
server.listen(port, process.env.HOST || "127.0.0.1", () => console.log(JSON.stringify({ t: Date.now(), level: "info", msg: "listening", version, port, pid: process.pid })));

process.on("SIGTERM", () => {
    console.log(JSON.stringify({ t: Date.now(), level: "info", msg: "stopping", version }));
    server.close(() => pool.end().finally(() => process.exit(0)));
    server.closeIdleConnections();
});
