// pyshop (test/apps/pyshop), the second application of the tests, against a real PostgreSQL:
// each version on each step of its migrations, a 500 logged as ERROR, /health without a
// database, and a SIGTERM that lets a /slow request finish. Every process stopped by its pid.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { checkMigration } from "../../../src/migrations/check";
import { loadParser } from "../../../src/migrations/sql";
import { freePort } from "../../support/ports";
import { startPostgres, TestPostgres } from "../../support/postgres";

const appDir = path.resolve(__dirname, "../../apps/pyshop");
const migrations = fs.readdirSync(path.join(appDir, "migrations")).filter((f) => /^V\d+__.+\.sql$/.test(f)).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1)));
const migrationSql = (n: number) => fs.readFileSync(path.join(appDir, "migrations", migrations[n - 1]), "utf8");
const queriesOf = (version: string) => fs.readFileSync(path.join(appDir, "queries", `${version}.sql`), "utf8");

interface Reply {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: any;
}

/** One request on a connection of its own (no keep-alive: a stop never waits on an idle one). */
function request(port: number, urlPath: string, method = "GET"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, agent: false, timeout: 10_000 }, (res) => {
            let data = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (data += c));
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: data ? JSON.parse(data) : undefined }));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${urlPath} in 10 s`)));
        req.on("error", reject);
        req.end();
    });
}

class App {
    stdout = "";
    stderr = "";
    readonly exited: Promise<number | null>;

    private constructor(readonly version: string, readonly port: number, readonly child: ChildProcess) {
        child.stdout!.on("data", (c) => (this.stdout += c));
        child.stderr!.on("data", (c) => (this.stderr += c));
        this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    }

    static async start(version: string, env: Record<string, string>): Promise<App> {
        const port = await freePort();
        const child = spawn("python3", [path.join(appDir, "server.py"), "--version", version, "--port", String(port)], {
            env: { PATH: process.env.PATH!, ...env, PORT: String(port), APP_VERSION: version },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const app = new App(version, port, child);
        running.add(app);
        const deadline = Date.now() + 10_000;
        for (;;) {
            try {
                await request(port, "/");
                return app;
            } catch (e) {
                if (Date.now() > deadline || child.exitCode !== null) {
                    await app.stop();
                    throw new Error(`pyshop ${version} did not start: ${(e as Error).message}\n${app.stderr}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        }
    }

    /** SIGTERM by pid; SIGKILL if it has not exited within 40 s (its grace period is 30 s). */
    async stop(): Promise<number | null> {
        if (this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill("SIGTERM");
            const timer = setTimeout(() => this.child.kill("SIGKILL"), 40_000);
            await this.exited;
            clearTimeout(timer);
        }
        running.delete(this);
        return this.exited;
    }
}
const running = new Set<App>();

describe("pyshop, the second test application", function () {
    this.timeout(60_000);
    let pg: TestPostgres;
    let env: Record<string, string>;
    let applied = 0;

    async function migrateTo(n: number): Promise<void> {
        const db = await pg.client();
        try {
            for (; applied < n; applied++) {
                await db.query(migrationSql(applied + 1));
            }
        } finally {
            await db.end();
        }
    }

    async function withApp(version: string, body: (app: App) => Promise<void>): Promise<App> {
        const app = await App.start(version, env);
        try {
            await body(app);
        } finally {
            assert.equal(await app.stop(), 0, `pyshop ${version} exits 0 on SIGTERM`);
        }
        return app;
    }

    before(async () => {
        pg = await startPostgres();
        env = { PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "zdr", PGDATABASE: "postgres", PGPASSWORD: pg.password, PGAPPNAME: "pyshop-test" };
    });
    after(async () => {
        await Promise.all([...running].map((a) => a.stop()));
        await pg?.stop();
    });

    it("keeps its migrations in Flyway's layout, V1 to V3", () => {
        assert.deepEqual(migrations.map((f) => f.split("__")[0]), ["V1", "V2", "V3"]);
    });

    it("v1 on V1 reads and writes legacy_code, over SCRAM-SHA-256", async () => {
        await migrateTo(1);
        await withApp("v1", async (app) => {
            const health = await request(app.port, "/health");
            assert.equal(health.status, 200);
            assert.equal(health.headers["x-app-version"], "v1");
            const items = await request(app.port, "/items");
            assert.equal(items.status, 200);
            assert.deepEqual(items.body.items[0], { id: "1", name: "Teapot", price_cents: "2450", legacy_code: "TP-100" });
            const order = await request(app.port, "/order?item=2", "POST");
            assert.equal(order.status, 201);
            assert.equal((await request(app.port, "/order?item=99")).status, 404);
            const db = await pg.client();
            const { rows } = await db.query("SELECT legacy_code FROM orders WHERE id = $1", [order.body.orderId]);
            const sessions = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pyshop-test'");
            await db.end();
            assert.equal(rows[0]?.legacy_code, "LT-200");
            assert.equal(sessions.rows[0].n, 1, "one pooled connection, named by PGAPPNAME");
        });
    });

    it("v2 before V2 answers 500 with its error on stderr and in x-error", async () => {
        const app = await withApp("v2", async (app) => {
            const order = await request(app.port, "/order?item=1");
            assert.equal(order.status, 500);
            assert.equal(order.headers["x-app-version"], "v2");
            assert.match(String(order.headers["x-error"]), /column "placed_by" of relation "orders" does not exist/);
        });
        assert.match(app.stderr, /^ERROR GET \/order\?item=1 version=v2 .*placed_by/m);
    });

    it("v1 and v2 both run on V2 (the additive step)", async () => {
        await migrateTo(2);
        for (const version of ["v1", "v2"]) {
            await withApp(version, async (app) => {
                assert.equal((await request(app.port, "/items")).status, 200);
                assert.equal((await request(app.port, "/order?item=3", "POST")).status, 201);
            });
        }
    });

    it("on V3 v1 fails, while v2, v3, an unknown name (as v3) and bad-health serve", async () => {
        await migrateTo(3);
        const v1 = await withApp("v1", async (app) => assert.equal((await request(app.port, "/items")).status, 500));
        assert.match(v1.stderr, /^ERROR GET \/items version=v1 .*column "legacy_code" does not exist/m);
        for (const version of ["v2", "v3", "1.4.0-rc.1", "bad-health"]) {
            const app = await withApp(version, async (app) => {
                assert.equal((await request(app.port, "/health")).status, version === "bad-health" ? 503 : 200, `${version} /health`);
                const items = await request(app.port, "/items");
                assert.equal(items.status, 200);
                assert.deepEqual(Object.keys(items.body.items[0]), ["id", "name", "price_cents"]);
                assert.equal((await request(app.port, "/order?item=1")).status, 201);
            });
            assert.equal(app.stderr, "", `${version} logs no error`);
            assert.match(app.stdout, new RegExp(`GET /items 200 [\\d.]+ms version=${version.replace(/\./g, "\\.")}`));
        }
        const db = await pg.client();
        const { rows } = await db.query("SELECT DISTINCT placed_by FROM orders WHERE placed_by IS NOT NULL ORDER BY 1");
        await db.end();
        assert.deepEqual(rows.map((r) => r.placed_by), ["1.4.0-rc.1", "bad-health", "v2", "v3"]);
    });

    it("answers /health 503 while the database is out of reach", async () => {
        const closed = await freePort();
        const app = await App.start("v3", { ...env, PGPORT: String(closed) });
        try {
            const health = await request(app.port, "/health");
            assert.equal(health.status, 503);
            assert.equal(health.headers["x-app-version"], "v3");
        } finally {
            assert.equal(await app.stop(), 0);
        }
    });

    it("on SIGTERM (even twice) refuses new connections and finishes a /slow request in flight", async () => {
        const app = await App.start("v3", env);
        const started = Date.now();
        const slow = request(app.port, "/slow");
        await new Promise((r) => setTimeout(r, 300));
        app.child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 500));
        app.child.kill("SIGTERM"); // a repeated signal does not cut the stop short
        await assert.rejects(request(app.port, "/health"), /ECONNREFUSED/);
        const reply = await slow;
        assert.equal(reply.status, 200);
        assert.ok(Date.now() - started >= 1500, "the request slept its 1.5 s");
        assert.equal(await app.exited, 0);
        await app.stop();
        assert.match(app.stdout, /stopping on SIGTERM: 1 connection\(s\) in flight\n.*GET \/slow 200 .*\n.*stopped \(all requests finished\)/);
    });

    it("stops as gracefully on SIGINT", async () => {
        const app = await App.start("v3", env);
        app.child.kill("SIGINT");
        assert.equal(await app.exited, 0);
        await app.stop();
        // the start's readiness request may still hold its connection: the count is 0 or 1
        assert.match(app.stdout, /stopping on SIGINT: [01] connection\(s\) in flight\n(.*\n)*.*stopped \(all requests finished\)/);
    });

    it("its query files satisfy the schema guard: V3 is blocked while v1 is live, safe once only v2 is", async () => {
        await loadParser();
        const before = migrationSql(1) + migrationSql(2);
        const withV1 = await checkMigration({ migration: migrationSql(3), schema: before, live: [{ version: "v1", role: "live", sql: queriesOf("v1") }, { version: "v2", role: "live", sql: queriesOf("v2") }] });
        assert.equal(withV1.verdict, "blocked");
        const v2Only = await checkMigration({ migration: migrationSql(3), schema: before, live: [{ version: "v2", role: "live", sql: queriesOf("v2") }, { version: "v3", role: "live", sql: queriesOf("v3") }] });
        assert.equal(v2Only.verdict, "safe", JSON.stringify(v2Only));
        const v2Step = await checkMigration({ migration: migrationSql(2), schema: migrationSql(1), live: [{ version: "v1", role: "live", sql: queriesOf("v1") }] });
        assert.equal(v2Step.verdict, "safe", JSON.stringify(v2Step));
    });
});
