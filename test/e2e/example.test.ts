// examples/own-app on the real engine: a team's own program, importing zdr as a library (one
// zdr.Release), releases its own app (a Python server) to one canary under load; the schema guard
// stops a migration that drops a column a live version reads, before anything changes; the canary
// judgement fails a version that fails every other request, and leaves it out.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { startLoad } from "../../src/load/traffic";
import { freePort, freePortRange } from "../support/ports";

const example = path.join(projectRoot, "examples/own-app");

describe("examples/own-app on the real engine", function () {
    this.timeout(300_000);
    let stack: Stack;
    let stateDir: string;
    let lbUrl: string;
    let dbPort: number;
    let migrationsCopy: string | undefined;
    const dbPassword = randomBytes(12).toString("base64url");
    const versions = (servers: unknown) => (servers as { name: string; version: string }[]).map((s) => `${s.name}=${s.version}`);
    const greetingsColumns = async () => {
        const db = new Client({ host: "127.0.0.1", port: dbPort, user: "hello", database: "hello", password: dbPassword, connectionTimeoutMillis: 5000 });
        await db.connect();
        try {
            return (await db.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'greetings' ORDER BY ordinal_position")).rows.map((r) => r.column_name as string);
        } finally {
            await db.end();
        }
    };

    before(async () => {
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(example, `example-${process.pid}`, stateDir);
        const lbPort = await freePort();
        lbUrl = `http://127.0.0.1:${lbPort}`;
        await stack.setConfig("dbPassword", { value: dbPassword, secret: true });
        await stack.setConfig("lbPort", { value: String(lbPort) });
        await stack.setConfig("basePort", { value: String(await freePortRange(2)) });
        dbPort = await freePort();
        await stack.setConfig("dbPort", { value: String(dbPort) });
    });
    after(async () => {
        await stack?.cancel().catch(() => undefined);
        await stack?.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
        await stack?.workspace.removeStack(stack.name).catch(() => undefined);
        fs.rmSync(stateDir, { recursive: true, force: true });
        fs.rmSync(path.join(example, ".zdr"), { recursive: true, force: true });
        if (migrationsCopy) {
            fs.rmSync(migrationsCopy, { recursive: true, force: true });
        }
    });

    it("brings the team's app up on its stable version, with its first migration applied", async () => {
        const up = await stack.up();
        assert.deepEqual(versions(up.outputs.servers.value), ["hello-1=1.0.0", "hello-2=1.0.0"]);
        const res = await fetch(lbUrl);
        assert.equal(await res.text(), "hello from 1.0.0\n");
        assert.deepEqual(await greetingsColumns(), ["id", "greeting", "legacy_note"]);
    });

    it("releases 1.1.0 to one canary under load with no failed request", async () => {
        await stack.setConfig("release", { value: "1.1.0" });
        await stack.setConfig("canaryCount", { value: "1" });
        const load = startLoad(lbUrl, { rate: 60, connections: 4, maxSeconds: 120, paths: ["/"] });
        await new Promise((r) => setTimeout(r, 500));
        const up = await stack.up();
        await new Promise((r) => setTimeout(r, 500));
        const traffic = await load.stop();
        assert.deepEqual((up.outputs.servers.value as { name: string; version: string }[]).map((s) => `${s.name}=${s.version}`), ["hello-1=1.1.0", "hello-2=1.0.0"]);
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        assert.ok(traffic.requests > 50, `only ${traffic.requests} requests`);
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
            seen.add((await fetch(lbUrl)).headers.get("x-app-version") ?? "");
        }
        assert.deepEqual([...seen].sort(), ["1.0.0", "1.1.0"]);
    });

    it("the schema guard stops a migration that drops a column 1.0.0 and 1.1.0 still read, before anything changes", async () => {
        migrationsCopy = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-hello-migrations-"));
        fs.cpSync(path.join(example, "db/migrations"), migrationsCopy, { recursive: true });
        fs.writeFileSync(path.join(migrationsCopy, "V2__drop_legacy_note.sql"), "ALTER TABLE greetings DROP COLUMN legacy_note;\n");
        await stack.setAllConfig({
            migrationsDir: { value: migrationsCopy },
            schemaVersions: { value: JSON.stringify({ "1.0.0": 1, "1.1.0": 1, "1.2.0": 2 }) },
            release: { value: "1.2.0" },
        });
        await assert.rejects(stack.up(), (e: Error) => {
            assert.match(e.message, /zdr:postgres:Migration resource 'migration-V2' has a problem: drop-column: `ALTER TABLE greetings DROP COLUMN legacy_note` drops greetings\.legacy_note, which 1\.0\.0[^;]* still uses?[^;]*; live versions: 1\.0\.0 \(rollback\), 1\.1\.0 \(running\), 1\.2\.0 \(release\)/, e.message.slice(-3000));
            return true;
        });
        assert.deepEqual(versions((await stack.outputs()).servers.value), ["hello-1=1.1.0", "hello-2=1.0.0"], "no server moved");
        assert.deepEqual(await greetingsColumns(), ["id", "greeting", "legacy_note"], "V2 not applied");
        await stack.removeAllConfig(["migrationsDir", "schemaVersions"]);
    });

    it("the canary judgement fails a version that fails every other request, and leaves it out", async () => {
        await stack.setAllConfig({ release: { value: "1.2.0-bad" }, bakeSeconds: { value: "60" } });
        const load = startLoad(lbUrl, { rate: 60, connections: 4, maxSeconds: 180, paths: ["/"] });
        await new Promise((r) => setTimeout(r, 500));
        const up = await stack.up().then(() => undefined, (e: Error) => e);
        const traffic = await load.stop();
        assert.ok(up, "the up fails");
        assert.match(up.message, /canary hello-1 \(1\.2\.0-bad\) failed its judgement against hello-2 after [\d.]+ s \(of at most 60 s\)/, up.message.slice(-3000));
        assert.ok(traffic.failed > 0, "the bad canary's own errors, until the judge left it out");
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
            const res = await fetch(lbUrl);
            assert.equal(res.status, 200);
            seen.add(res.headers.get("x-app-version") ?? "");
        }
        assert.deepEqual([...seen], ["1.0.0"], "only the stable server serves");
        console.log(`      bad canary: ${traffic.requests} requests, ${traffic.failed} failed (the canary's own) before the judge left it out`);
    });
});
