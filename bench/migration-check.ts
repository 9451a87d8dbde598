// Benchmark: the migration checker on a 10,000-statement migration, and the policy pack over a
// stack of 200 servers on the real engine (preview with and without `--policy-pack policy`).
// Run: npx ts-node --transpile-only bench/migration-check.ts      (after `bash scripts/setup`)
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkMigration } from "../src/migrations/check";
import { loadParser } from "../src/migrations/sql";
import { createStack, projectRoot } from "../src/engine";
import { setStageConfig } from "../src/release/stages";

function bigMigration(n: number): string {
    const lines = ["SET lock_timeout = '2s';"];
    for (let i = 0; i < n - 1; i++) {
        switch (i % 4) {
            case 0: lines.push(`ALTER TABLE t${i % 50} ADD COLUMN c${i} text;`); break;
            case 1: lines.push(`CREATE INDEX CONCURRENTLY i${i} ON t${i % 50} (c${i - 1});`); break;
            case 2: lines.push(`COMMENT ON COLUMN t${i % 50}.c${i - 2} IS 'bench';`); break;
            default: lines.push(`ALTER TABLE t${i % 50} ALTER COLUMN c${i - 3} SET DEFAULT 'x';`);
        }
    }
    return lines.join("\n");
}

function liveQueries(): string {
    const q: string[] = [];
    for (let t = 0; t < 50; t++) {
        q.push(`SELECT a.id, a.name, b.total FROM t${t} a JOIN totals b ON b.id = a.id WHERE a.state = 'x';`);
        q.push(`INSERT INTO t${t} (id, name) VALUES (1, 'a');`);
    }
    return q.join("\n");
}

async function timeIt<T>(f: () => Promise<T> | T): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const r = await f();
    return [r, Number(process.hrtime.bigint() - start) / 1e6];
}

async function main() {
    await loadParser();
    const sql = bigMigration(10_000);
    const live = [{ version: "v1", role: "rollback" as const, sql: liveQueries() }, { version: "v2", role: "release" as const, sql: liveQueries() }];
    checkMigration({ migration: "SELECT 1", live }); // warm-up
    const runs: number[] = [];
    let violations = 0;
    for (let i = 0; i < 5; i++) {
        const [r, ms] = await timeIt(() => checkMigration({ migration: sql, live }));
        violations = r.violations.length;
        runs.push(ms);
    }
    runs.sort((a, b) => a - b);
    console.log(`check-migration, 10,000 statements (${(sql.length / 1024).toFixed(0)} KiB), 2 live versions: median ${runs[2].toFixed(0)} ms, min ${runs[0].toFixed(0)} ms of 5 runs; ${violations} findings; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);

    const stackName = `bench-policy-${process.pid}`;
    const stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
    const stack = await createStack(projectRoot, stackName, stateDir);
    await stack.setConfig("zdr:dbPassword", { value: randomBytes(12).toString("base64url"), secret: true });
    try {
        const servers = Array.from({ length: 200 }, (_, i) => `web-${i + 1}`);
        await setStageConfig(stack, { servers, releaseVersion: "v3", canaryCount: "100", lbPort: "20000", appBasePort: "20001", dbPort: "21000" });
        const [plain, plainMs] = await timeIt(() => stack.preview());
        const [guarded, guardedMs] = await timeIt(() => stack.preview({ policyPacks: [path.join(projectRoot, "policy")] }).catch((e: Error) => e));
        const blocked = guarded instanceof Error && /schema-compatibility/.test(guarded.message);
        console.log(`preview of a 200-server stack (${plain.changeSummary.create} resources): ${(plainMs / 1000).toFixed(1)} s without the policy pack, ${(guardedMs / 1000).toFixed(1)} s with it (verdict: ${blocked ? "blocked, v3 drops a column v1 reads" : "passed"})`);
    } finally {
        await stack.workspace.removeStack(stackName).catch(() => undefined);
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
