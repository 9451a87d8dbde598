// The explicit all-at-once release on the real engine, under load: a release that must break
// compatibility (v1 -> v3, dropping a column v1 reads). Staged, the policy refuses it and names
// the mode; all at once, every server is drained and stopped before the migration runs, then all
// start on v3; the outage is counted. Back to staged afterwards touches no server.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { Client } from "pg";
import { projectRoot } from "../../src/engine";
import { readEvents } from "../../src/release/report";
import { runStage, setStageConfig } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

const policyPack = path.join(projectRoot, "policy");

describe("an all-at-once release on the local default", function () {
    this.timeout(300_000);
    let local: LocalStack;

    const query = async (sql: string) => {
        const c = new Client({ host: "127.0.0.1", port: local.dbPort, user: local.dbUser, password: local.dbPassword, database: local.dbName });
        await c.connect();
        try {
            return (await c.query(sql)).rows;
        } finally {
            await c.end();
        }
    };
    const columnsOfProducts = async () =>
        (await query("SELECT column_name FROM information_schema.columns WHERE table_name = 'products' ORDER BY column_name")).map((r) => r.column_name as string);

    before(async () => {
        local = await openLocalStack("e2e-all-at-once", { drainTimeoutSeconds: "3", healthTimeoutSeconds: "10" });
    });
    after(() => local?.close());

    it("staged, the policy refuses v3 while v1 runs, and names the all-at-once mode", async () => {
        await setStageConfig(local.stack, { releaseVersion: "v3", canaryCount: "1" });
        let output = "";
        await assert.rejects(local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) }));
        assert.match(output, /which v1 still uses; live versions: v1 \(rollback\), v3 \(release\)/);
        assert.match(output, /release it all at once instead \(zdr:releaseMode: all-at-once\)/);
    });

    it("all at once: every server stopped before the migration, all on v3 after it", async () => {
        await setStageConfig(local.stack, { releaseMode: "all-at-once", canaryCount: null });
        let output = "";
        await local.stack.preview({ policyPacks: [policyPack], onOutput: (s) => (output += s) });
        assert.doesNotMatch(output, /schema-compatibility/);

        const since = Date.now();
        const { result, traffic } = await local.underLoad({ name: "v3 all at once", config: {} });
        assert.ok(result.ok, result.error);
        assert.deepEqual(result.servers.map((s) => [s.name, s.version, s.inLoadBalancer]), [["web-1", "v3", true], ["web-2", "v3", true], ["web-3", "v3", true]]);
        assert.deepEqual(await columnsOfProducts(), ["id", "name", "price_cents"]);

        const applied = await query("SELECT version, (extract(epoch from installed_on) * 1000)::bigint AS at FROM zdr_schema_history ORDER BY installed_rank");
        const v3At = Number(applied.find((r) => r.version === 3)?.at);
        const events = readEvents(path.join(local.dir, "events.jsonl"), since);
        const at = (step: string, phase: string) => events.filter((e) => e.step === step && e.phase === phase);
        assert.equal(at("drain", "end").length, 3, JSON.stringify(events));
        assert.ok(at("drain", "end").every((e) => e.t < v3At), `every drain ended before the v3 migration: ${JSON.stringify(events)}, v3 at ${v3At}`);
        assert.equal(at("deploy", "start").length, 3);
        assert.ok(at("deploy", "start").every((e) => e.t > v3At), "every server started after the migration");

        // The outage: from the last drain's end to the first reattach's end, no server serves.
        const outageMs = Math.min(...at("reattach", "end").map((e) => e.t)) - Math.max(...at("drain", "end").map((e) => e.t));
        const byVersion = Object.entries(traffic.byVersion).map(([v, t]) => `${v}: ${t.requests} (failed ${t.failed})`).join(", ");
        console.log(`      all at once: ${traffic.requests} requests, ${traffic.failed} failed (${byVersion}); no server in the load balancer for ${outageMs} ms; up took ${result.durationMs} ms`);
        // Not zero-downtime: for a while no server is in the load balancer (what requests see of it
        // depends on where they fall: 0 to 150 failed over the runs so far, HAProxy's queue holds some).
        assert.ok(outageMs > 0, `no server in the load balancer for ${outageMs} ms`);
        assert.ok(traffic.failures.every((f) => f.status === 503 || f.status === 0), JSON.stringify(traffic.failures.slice(0, 5)));
    });

    it("back to staged with v3 as stable touches no server", async () => {
        const r = await runStage(local.stack, { name: "v3 stable, staged", config: { releaseMode: "staged", stableVersion: "v3", releaseVersion: "" } });
        assert.ok(r.ok, r.error);
        // Only what the policy reads (the migrations' live set) and the epoch's mode change (and
        // the default zdr provider, whose inputs are the zdr:* config: an update that does nothing).
        assert.deepEqual([...new Set(r.steps.filter((s) => s.type !== "pulumi:providers:zdr").map((s) => `${s.op} ${s.type}`))].sort(), ["update zdr:postgres:Migration", "update zdr:release:Epoch"], JSON.stringify(r.steps));
    });
});
