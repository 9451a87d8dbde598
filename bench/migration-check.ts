// Benchmark: the migration checker on a 10,000-statement migration (static rules alone, and
// with the schema, when PostgreSQL in this process judges every live statement), and the
// policy pack over a stack of 200 servers on the real engine (preview with and without
// `--policy-pack policy`; the target is at most 1.5x).
// Run: npx ts-node --transpile-only bench/migration-check.ts [--check-only | --preview-only]      (after `bash scripts/setup`)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkMigration, CheckInput } from "../src/migrations/check";
import { closeOracle } from "../src/migrations/oracle";
import { loadParser } from "../src/migrations/sql";
import { projectRoot } from "../src/engine";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";
import { setStageConfig } from "../src/release/stages";

function bigMigration(n: number): string {
    const lines = ["SET lock_timeout = '2s';"];
    for (let i = 0; i < n - 1; i++) {
        switch (i % 4) {
            case 0: lines.push(`ALTER TABLE t${i % 50} ADD COLUMN c${i} text;`); break;
            case 1: lines.push(`CREATE INDEX CONCURRENTLY i${i} ON t${(i - 1) % 50} (c${i - 1});`); break;
            case 2: lines.push(`COMMENT ON COLUMN t${(i - 2) % 50}.c${i - 2} IS 'bench';`); break;
            default: lines.push(`ALTER TABLE t${(i - 3) % 50} ALTER COLUMN c${i - 3} SET DEFAULT 'x';`);
        }
    }
    return lines.join("\n");
}

function liveQueries(): string {
    const q: string[] = [];
    for (let t = 0; t < 50; t++) {
        q.push(`SELECT a.id, a.name, b.total FROM t${t} a JOIN totals b ON b.id = a.id WHERE a.state = 'x';`);
        q.push(`INSERT INTO t${t} (id, name) VALUES (${1000 + t}, 'a');`);
    }
    return q.join("\n");
}

/** The 50 tables the migration and the live queries use, with a row each. */
function schema(): string {
    const s = ["CREATE TABLE totals (id integer PRIMARY KEY, total integer);", "INSERT INTO totals VALUES (1, 10);"];
    for (let t = 0; t < 50; t++) {
        s.push(`CREATE TABLE t${t} (id integer PRIMARY KEY, name text, state text);`, `INSERT INTO t${t} VALUES (1, 'a', 'x');`);
    }
    return s.join("\n");
}

async function timeIt<T>(f: () => Promise<T> | T): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const r = await f();
    return [r, Number(process.hrtime.bigint() - start) / 1e6];
}

async function runs(label: string, input: CheckInput, n: number) {
    const times: number[] = [];
    let summary = "";
    for (let i = 0; i < n; i++) {
        const [r, ms] = await timeIt(() => checkMigration(input));
        const blocks = r.violations.filter((v) => v.severity === "block");
        summary = `${r.verdict}, ${blocks.length} blocking, ${r.violations.length - blocks.length} warnings${blocks[0] ? ` (${blocks[0].rule} at \`${blocks[0].statement.slice(0, 50)}\`)` : ""}`;
        times.push(ms);
    }
    times.sort((a, b) => a - b);
    console.log(`${label}: median ${times[Math.floor(n / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms of ${n} runs; ${summary}; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}

async function main() {
    if (!process.argv.includes("--preview-only")) {
        await checks();
    }
    if (!process.argv.includes("--check-only")) {
        await previews();
    }
}

async function checks() {
    await loadParser();
    const sql = bigMigration(10_000);
    const live = [{ version: "v1", role: "rollback" as const, sql: liveQueries() }, { version: "v2", role: "release" as const, sql: liveQueries() }];
    const [, startMs] = await timeIt(() => checkMigration({ migration: "SELECT 1", schema: "SELECT 1", live }));
    console.log(`embedded PostgreSQL (PGlite) start and a first check: ${startMs.toFixed(0)} ms (once per process)`);
    console.log(`migration: 10,000 statements (${(sql.length / 1024).toFixed(0)} KiB); 2 live versions of ${live[0].sql.split("\n").length} statements each`);
    await runs("  static rules alone (no schema)", { migration: sql, live }, 5);
    await runs("  with the schema: PostgreSQL judges every live statement", { migration: sql, schema: schema(), live }, 3);
    const lines = sql.split("\n");
    const broken = [...lines.slice(0, 5000), "ALTER TABLE t7 RENAME COLUMN name TO title;", ...lines.slice(5000)].join("\n");
    await runs("  the same with one breaking rename in the middle (cause found by replay)", { migration: broken, schema: schema(), live }, 3);
    await closeOracle();
}

async function previews() {
    const { stack, stateDir, close } = await throwawayStack("bench-policy");
    try {
        const servers = Array.from({ length: 200 }, (_, i) => `web-${i + 1}`);
        await setStageConfig(stack, { ...localStackApp(projectRoot), servers, releaseVersion: "v3", canaryCount: "100", lbPort: "20000", appBasePort: "20001", dbPort: "21000" });
        // CrossGuard's own cost: a pack with no policy, run by the same engine the same way.
        const emptyPack = path.join(stateDir, "empty-pack");
        fs.mkdirSync(emptyPack);
        fs.writeFileSync(path.join(emptyPack, "PulumiPolicy.yaml"), "runtime:\n  name: nodejs\n  options:\n    typescript: false\n");
        fs.writeFileSync(path.join(emptyPack, "package.json"), JSON.stringify({ name: "empty-pack", version: "0.0.1", main: "index.js" }));
        fs.writeFileSync(path.join(emptyPack, "index.js"), 'const { PolicyPack } = require("@pulumi/policy");\nnew PolicyPack("empty", { policies: [] });\n');
        // Alternate the three, twice each: the machine is shared, so one run of each says little.
        const times: Record<"without" | "empty" | "zdr", number[]> = { without: [], empty: [], zdr: [] };
        let resources = 0;
        let verdict = "";
        for (let i = 0; i < 2; i++) {
            const [plain, p] = await timeIt(() => stack.preview());
            resources = plain.changeSummary.create ?? 0;
            times.without.push(p);
            times.empty.push((await timeIt(() => stack.preview({ policyPacks: [emptyPack] })))[1]);
            const [guarded, g] = await timeIt(() => stack.preview({ policyPacks: [path.join(projectRoot, "policy")] }).catch((e: Error) => e));
            times.zdr.push(g);
            verdict = guarded instanceof Error && /schema-compatibility/.test(guarded.message) ? "blocked, v3 drops a column v1 reads" : "passed";
        }
        const best = (xs: number[]) => Math.min(...xs) / 1000;
        const list = (xs: number[]) => `${xs.map((m) => (m / 1000).toFixed(1)).join(" s, ")} s`;
        console.log(`preview of a 200-server stack (${resources} resources to create), load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores:`);
        console.log(`  without a policy pack: ${list(times.without)}`);
        console.log(`  with an empty policy pack (CrossGuard's own cost): ${list(times.empty)}`);
        console.log(`  with zdr's pack: ${list(times.zdr)} (verdict: ${verdict})`);
        console.log(`  best zdr / best without = ${(best(times.zdr) / best(times.without)).toFixed(2)}x (target <= 1.5x); best zdr / best empty = ${(best(times.zdr) / best(times.empty)).toFixed(2)}x`);
    } finally {
        await close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
