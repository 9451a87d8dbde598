// An application of one's own, released through configuration alone: pyshop (test/apps/pyshop,
// Python's standard library, its own PostgreSQL client) with its Flyway-layout migrations and
// query files, defined by the zdr keys of test/apps/pyshop/Pulumi.pyshop.yaml, released
// v1 -> v2 -> v3 on the local default (real engine, HAProxy, PostgreSQL) under HTTP load with
// slow requests in flight: no failed request, and HAProxy's per-server retries, redispatches,
// connection and response errors all 0. Then the migration history in PostgreSQL, a changed
// applied migration refused by its file name, and a failing migration that changes nothing.
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { projectRoot } from "../../src/engine";
import { parseHaproxyLog } from "../../src/canary/evidence";
import { HaproxyRuntime, ServerStat } from "../../src/haproxy/runtime";
import { startLoad, Traffic } from "../../src/load/traffic";
import { appKeys } from "../../src/release/app-config";
import { readEvents } from "../../src/release/report";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { readStackFileConfig } from "../../src/stack-file";
import { LocalStack, openLocalStack } from "../support/local-stack";

const appDir = path.join(projectRoot, "test/apps/pyshop");
const pyshop = () => readStackFileConfig(path.join(appDir, "Pulumi.pyshop.yaml"), appKeys);
const migrationFiles = ["V1__create_items.sql", "V2__add_orders_placed_by.sql", "V3__drop_legacy_code.sql"];
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file, "utf8")).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** HAProxy's per-server counters that show a request went wrong even when the client saw none. */
const errorCounters = ["wretr", "wredis", "econ", "eresp", "hrsp5xx"] as const;
const noErrors = Object.fromEntries(errorCounters.map((k) => [k, 0]));
const errorsOf = (s: ServerStat) => Object.fromEntries(errorCounters.map((k) => [k, s[k]]));

describe("releasing an app of one's own (pyshop, Python) through configuration alone", function () {
    this.timeout(900_000);
    let local: LocalStack;
    let runtime: HaproxyRuntime;
    let copyDir: string | undefined;
    const figures: string[] = [];

    async function database<T>(body: (db: Client) => Promise<T>): Promise<T> {
        const db = new Client({ host: "127.0.0.1", port: local.dbPort, user: local.dbUser, database: local.dbName, password: local.dbPassword, connectionTimeoutMillis: 5000 });
        await db.connect();
        try {
            return await body(db);
        } finally {
            await db.end();
        }
    }
    const history = () => database(async (db) => (await db.query("SELECT version, description, script, checksum, success, installed_on FROM zdr_schema_history ORDER BY version")).rows);
    const columns = (table: string) =>
        database(async (db) => (await db.query("SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [table])).rows.map((r) => r.column_name as string));
    const versions = (r: StageResult) => Object.fromEntries(r.servers.map((s) => [s.name, s.version]));

    /** One stage under the shop's load (GET /items, GET /order) and slow requests (GET /slow, 1.5 s each). */
    async function stageUnderLoad(stage: Stage): Promise<{ result: StageResult; shop: Traffic; slow: Traffic }> {
        const shop = startLoad(local.lbUrl, { rate: 120, connections: 6, maxSeconds: 300, paths: ["/items", "/order?item=1"] });
        const slow = startLoad(local.lbUrl, { rate: 4, connections: 8, maxSeconds: 300, paths: ["/slow"] });
        await sleep(1000);
        const result = await runStage(local.stack, stage);
        await sleep(500);
        return { result, shop: await shop.stop(), slow: await slow.stop() };
    }

    before(async () => {
        local = await openLocalStack("e2e-own-app", { drainTimeoutSeconds: "6", healthTimeoutSeconds: "10" }, pyshop());
        runtime = new HaproxyRuntime(path.join(local.dir, "haproxy.sock"));
        figures.push(`first up (v1 everywhere, V1 applied): ${(local.first.durationMs / 1000).toFixed(1)} s`);
    });
    after(async () => {
        console.log(figures.map((f) => `      ${f}`).join("\n"));
        await local?.close();
        if (copyDir) {
            fs.rmSync(copyDir, { recursive: true, force: true });
        }
    });

    it("starts v1 on every server with only V1 applied, behind HAProxy's backend named by appName", async () => {
        assert.deepEqual(versions(local.first), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual((await history()).map((r) => r.script), ["V1__create_items.sql"]);
        assert.ok((await columns("items")).includes("legacy_code"));
        const res = await fetch(`${local.lbUrl}/items`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-app-version"), "v1");
        assert.ok(((await res.json()) as { items: { legacy_code: string }[] }).items.every((i) => i.legacy_code));
        assert.deepEqual((await runtime.serverStats("pyshop")).map((s) => s.server), ["web-1", "web-2", "web-3"]);
        assert.deepEqual([local.dbName, local.dbUser], ["pyshop", "pyshop"]);
    });

    it("releases v1 -> v2 -> v3 in stages under load with slow requests in flight: no failed request, no HAProxy retry or error", async () => {
        const stages: { stage: Stage; want: Record<string, string>; applied: number }[] = [
            { stage: { name: "v2 canary on 1", config: { releaseVersion: "v2", canaryCount: "1" } }, want: { "web-1": "v2", "web-2": "v1", "web-3": "v1" }, applied: 2 },
            { stage: { name: "v2 canary on 2", config: { canaryCount: "2" } }, want: { "web-1": "v2", "web-2": "v2", "web-3": "v1" }, applied: 2 },
            { stage: { name: "v2 canary on 3", config: { canaryCount: "3" } }, want: { "web-1": "v2", "web-2": "v2", "web-3": "v2" }, applied: 2 },
            { stage: { name: "promote v2", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } }, want: { "web-1": "v2", "web-2": "v2", "web-3": "v2" }, applied: 2 },
            { stage: { name: "v3 canary on 1 (drops legacy_code)", config: { releaseVersion: "v3", canaryCount: "1" } }, want: { "web-1": "v3", "web-2": "v2", "web-3": "v2" }, applied: 3 },
            { stage: { name: "v3 canary on 3", config: { canaryCount: "3" } }, want: { "web-1": "v3", "web-2": "v3", "web-3": "v3" }, applied: 3 },
            { stage: { name: "promote v3", config: { stableVersion: "v3", releaseVersion: "", canaryCount: "0" } }, want: { "web-1": "v3", "web-2": "v3", "web-3": "v3" }, applied: 3 },
        ];
        let requests = 0;
        let slowRequests = 0;
        const since = Date.now();
        for (const { stage, want, applied } of stages) {
            const { result, shop, slow } = await stageUnderLoad(stage);
            figures.push(`${stage.name}: ${(result.durationMs / 1000).toFixed(1)} s; ${shop.requests} requests (${shop.failed} failed), ` +
                `${slow.requests} slow (${slow.failed} failed); by version ${Object.entries(shop.byVersion).map(([v, t]) => `${v} ${t.requests}`).join(", ")}`);
            assert.ok(result.ok, `${stage.name}: ${result.error}`);
            assert.deepEqual(versions(result), want, stage.name);
            assert.ok(result.servers.every((s) => s.inLoadBalancer), `${stage.name}: every server back in the load balancer`);
            assert.equal(shop.failed, 0, `${stage.name}: failed requests ${JSON.stringify(shop.failures)}`);
            assert.equal(slow.failed, 0, `${stage.name}: failed slow requests ${JSON.stringify(slow.failures)}`);
            assert.ok(shop.requests > 100 && slow.requests > 3, `${stage.name}: only ${shop.requests} requests, ${slow.requests} slow`);
            for (const stat of await runtime.serverStats("pyshop")) {
                assert.ok(stat.stot > 0, `${stage.name}: ${stat.server} served no session`);
                assert.deepEqual(errorsOf(stat), noErrors, `${stage.name}: HAProxy counters of ${stat.server}`);
            }
            assert.deepEqual((await history()).map((r) => r.version), Array.from({ length: applied }, (_, i) => i + 1), `${stage.name}: migrations applied`);
            requests += shop.requests;
            slowRequests += slow.requests;
        }
        // The slow requests a drain had to wait for: accepted before it began, answered after.
        const logged = parseHaproxyLog(fs.readFileSync(path.join(local.dir, "haproxy.log"), "utf8"));
        const drains = readEvents(path.join(local.dir, "events.jsonl"), since).filter((e) => e.step === "drain" && e.phase === "start");
        const inFlight = drains.map((d) => logged.filter((r) => r.server === d.server && r.latencyMs >= 1000 && r.t < d.t && r.t + r.latencyMs > d.t).length);
        figures.push(`release v1 -> v3: ${requests} requests and ${slowRequests} slow requests, 0 failed; HAProxy ${errorCounters.join("/")} all 0 on every server; ` +
            `slow requests in flight when each of the ${drains.length} drains began: ${inFlight.join(", ")}`);
        assert.equal(drains.length, 6, "web-1..3 to v2, then to v3");
        assert.ok(inFlight.reduce((a, b) => a + b, 0) > 0, "drains waited for slow requests");
        // Each server was replaced twice, each time stopped by the configured signal, within pyshop's grace.
        for (const server of ["web-1", "web-2", "web-3"]) {
            const log = fs.readFileSync(path.join(local.dir, "logs", `${server}.log`), "utf8");
            assert.equal(log.match(/stopping on SIGINT/g)?.length, 2, `${server}'s log: ${log.split("\n").filter((l) => /stop/.test(l)).join("; ")}`);
            assert.equal(log.match(/stopped \(all requests finished\)/g)?.length, 2, `${server} finished its requests each time`);
            assert.doesNotMatch(log, /^ERROR /m);
        }
        assert.deepEqual(await columns("items"), ["id", "name", "price_cents"]);
        assert.deepEqual(await columns("orders"), ["id", "item_id", "created_at", "placed_by"]);
        const placedBy = await database(async (db) => (await db.query("SELECT DISTINCT placed_by FROM orders WHERE placed_by IS NOT NULL ORDER BY 1")).rows.map((r) => r.placed_by));
        assert.deepEqual(placedBy, ["v2", "v3"]);
    });

    it("records V1..V3 in zdr_schema_history with each file's sha256, once each", async () => {
        const rows = await history();
        assert.deepEqual(rows.map((r) => ({ version: r.version, script: r.script, checksum: r.checksum, success: r.success })), migrationFiles.map((script, i) => ({
            version: i + 1, script, checksum: sha256(path.join(appDir, "migrations", script)), success: true,
        })));
        assert.deepEqual(rows.map((r) => r.description), ["create items", "add orders placed by", "drop legacy code"]);
        const times = rows.map((r) => (r.installed_on as Date).getTime());
        assert.ok(times[0] < times[1] && times[1] < times[2], `applied in order: ${times}`);
    });

    it("stops at a version whose health check fails, keeps that server out, and recovers", async () => {
        const { result, shop, slow } = await stageUnderLoad({ name: "bad-health canary", config: { releaseVersion: "bad-health", canaryCount: "1" } });
        figures.push(`bad-health canary stopped in ${(result.durationMs / 1000).toFixed(1)} s; ${shop.requests + slow.requests} requests meanwhile, ${shop.failed + slow.failed} failed`);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /server web-1 \(bad-health\): health check http:\/\/127\.0\.0\.1:\d+\/health failed for 10000 ms \(last: HTTP 503\)/);
        assert.equal(shop.failed + slow.failed, 0, JSON.stringify([shop.failures, slow.failures]));
        assert.deepEqual(Object.keys(shop.byVersion), ["v3"]);
        assert.deepEqual((await runtime.serverStats("pyshop")).map((s) => s.status), ["MAINT", "UP", "UP"]);

        const back = await stageUnderLoad({ name: "back to v3", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.result.ok, back.result.error);
        assert.equal(back.shop.failed + back.slow.failed, 0, JSON.stringify([back.shop.failures, back.slow.failures]));
        assert.deepEqual((await runtime.serverStats("pyshop")).map((s) => s.status), ["UP", "UP", "UP"]);
        for (const stat of await runtime.serverStats("pyshop")) {
            assert.deepEqual(errorsOf(stat), noErrors, `HAProxy counters of ${stat.server}`);
        }
    });

    it("refuses a changed applied migration by its file name, before anything runs", async () => {
        copyDir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-pyshop-"));
        fs.cpSync(appDir, copyDir, { recursive: true });
        const changed = path.join(copyDir, "migrations", migrationFiles[1]);
        fs.writeFileSync(changed, fs.readFileSync(changed, "utf8").replace("placed_by text", "placed_by varchar(40)"));
        const before = await history();
        const since = Date.now();
        const { result, shop, slow } = await stageUnderLoad({ name: "changed V2", config: { migrationsDir: path.join(copyDir, "migrations"), queriesDir: path.join(copyDir, "queries") } });
        figures.push(`changed V2 refused in ${(result.durationMs / 1000).toFixed(1)} s; ${shop.requests + slow.requests} requests meanwhile, ${shop.failed + slow.failed} failed`);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /migration V2__add_orders_placed_by\.sql was applied with checksum \w+… and has changed since/);
        assert.deepEqual(readEvents(path.join(local.dir, "events.jsonl"), since), [], "no server drained, deployed or reattached");
        // (the default zdr provider takes its config from the zdr namespace: a new migrationsDir updates it, and nothing else)
        assert.deepEqual(result.steps.filter((s) => s.type !== "zdr:postgres:Migration" && !s.type.startsWith("pulumi:providers:")), [], "the engine changed nothing");
        assert.deepEqual((await local.status()).rows.map((r) => `${r.server} ${r.runningVersion} ${r.lbStatus}`), ["web-1 v3 UP", "web-2 v3 UP", "web-3 v3 UP"]);
        assert.deepEqual(await history(), before);
        assert.deepEqual(await columns("orders"), ["id", "item_id", "created_at", "placed_by"]);
        const types = await database(async (db) => (await db.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'placed_by'")).rows);
        assert.deepEqual(types, [{ data_type: "text" }]);
        assert.equal(shop.failed + slow.failed, 0, JSON.stringify([shop.failures, slow.failures]));
    });

    it("a failing migration leaves history and schema as they were; the up names the statement and PostgreSQL's error", async () => {
        assert.ok(copyDir, "the copy of the app from the test before");
        fs.copyFileSync(path.join(appDir, "migrations", migrationFiles[1]), path.join(copyDir, "migrations", migrationFiles[1]));
        fs.writeFileSync(path.join(copyDir, "migrations", "V4__add_stock.sql"), [
            "-- The first statement works; the second fails on the orders the shop took (the schema guard,",
            "-- which runs it on the schema history's rows, has none, so it passes it): neither may stay.",
            "ALTER TABLE items ADD COLUMN stock integer NOT NULL DEFAULT 0;",
            "UPDATE orders SET placed_by = (1 / (id - id))::text;",
            "",
        ].join("\n"));
        fs.copyFileSync(path.join(copyDir, "queries", "v3.sql"), path.join(copyDir, "queries", "v4.sql"));
        const before = await history();
        const since = Date.now();
        const { result, shop, slow } = await stageUnderLoad({
            name: "v4 with a failing V4",
            config: { migrationsDir: path.join(copyDir, "migrations"), queriesDir: path.join(copyDir, "queries"), schemaVersions: ["v1=1", "v2=2", "v3=3", "v4=4"], releaseVersion: "v4", canaryCount: "1" },
        });
        figures.push(`failing V4 stopped the up in ${(result.durationMs / 1000).toFixed(1)} s; ${shop.requests + slow.requests} requests meanwhile, ${shop.failed + slow.failed} failed`);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /migration V4__add_stock\.sql failed at line 4: UPDATE orders SET placed_by = \(1 \/ \(id - id\)\)::text/);
        assert.match(result.error ?? "", /PostgreSQL: division by zero/);
        assert.deepEqual(await history(), before, "history unchanged");
        assert.deepEqual(await columns("items"), ["id", "name", "price_cents"], "schema unchanged: no stock column");
        assert.deepEqual(readEvents(path.join(local.dir, "events.jsonl"), since).filter((e) => e.step === "deploy"), [], "no server deployed");
        const status = await local.status();
        assert.deepEqual(status.rows.map((r) => `${r.server} ${r.runningVersion} ${r.lbStatus}`), ["web-1 v3 UP", "web-2 v3 UP", "web-3 v3 UP"]);
        assert.equal(shop.failed + slow.failed, 0, JSON.stringify([shop.failures, slow.failures]));

        const back = await runStage(local.stack, { name: "back to v3", config: { ...pyshop(), releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
        assert.deepEqual(versions(back), { "web-1": "v3", "web-2": "v3", "web-3": "v3" });
        assert.ok(back.servers.every((s) => s.inLoadBalancer));
        assert.deepEqual(await history(), before);
    });
});
