// Benchmark: the schema guard's time (issue 23) — what an up or a preview spends in it, a check
// of one migration cold and warm, and `zdr check-migration` per call — on this tree and, with
// --before REV, on the project at git revision REV in the same run (a detached worktree in
// .zdr/bench-before, its dist/ built), so that before and after meet the same machine load.
//
// Run: npx tsc -p tsconfig.build.json && npx ts-node --transpile-only bench/guard.ts [--before REV] [--no-stages]
//
// Stages (the real engine, HAProxy, PostgreSQL; two servers of the sample webshop; the engine
// binary run directly with the project's settings, so that "without a pack" means without):
//   release v2 to one canary (applies V2) · canaryCount 2 (applies nothing) · promote v2
//   (applies nothing, the live set changes)
// per stage: `pulumi preview` without and with `--policy-pack policy`, alternated twice (their
// difference is the pack's time at a preview, CrossGuard's own process start included), then
// `pulumi up --policy-pack policy`; on a tree with profile marks in the pack (this one), the up's
// time in the guard itself: the Migration resource's checks plus the pack's validations.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineEnv, projectRoot } from "../src/engine";
import { readMarks } from "../src/profile";
import { setStageConfig, Stage } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { freePort, freePortRange } from "../test/support/ports";
import { throwawayStack } from "./throwaway-stack";

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A detached worktree of the project at rev with its dist/ built (as bench/stage-overhead.ts makes it). */
function beforeTree(rev: string): string {
    const dir = path.join(projectRoot, ".zdr/bench-before");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (fs.existsSync(dir)) {
        git("worktree", "remove", "--force", dir);
    }
    git("worktree", "add", "--detach", dir, rev);
    fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, ".zdr"), { recursive: true });
    fs.symlinkSync(fs.realpathSync(path.join(projectRoot, ".zdr/engine")), path.join(dir, ".zdr/engine"));
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
    return dir;
}

/** One process's checks, timed inside it (the tree's compiled checker): cold, then warm, then (if the tree has one) the verdict cache. */
const checkScript = `
const fs = require("fs"), path = require("path");
const root = process.argv[1];
const read = (d, f) => fs.readFileSync(path.join(root, "app/webshop", d, f), "utf8");
const mig = (n) => read("migrations", fs.readdirSync(path.join(root, "app/webshop/migrations")).find((f) => f.startsWith("V" + n + "__")));
const q = (v) => read("queries", v + ".sql");
const inputs = {
  "V3 (drops legacy_code) while v1 is live": { migration: mig(3), schema: mig(1) + mig(2), live: [{ version: "v1", role: "rollback", sql: q("v1") }, { version: "v3", role: "release", sql: q("v3") }] },
  "V2 (adds orders.channel) for v2": { migration: mig(2), schema: mig(1), live: [{ version: "v1", role: "rollback", sql: q("v1") }, { version: "v2", role: "release", sql: q("v2") }] },
  "V3 once v1 is gone (the cascade)": { migration: mig(3), schema: mig(1) + mig(2), live: [{ version: "v2", role: "rollback", sql: q("v2") }, { version: "v3", role: "release", sql: q("v3") }] },
};
(async () => {
  const { checkMigration } = require(path.join(root, "dist/src/migrations/check.js"));
  const out = [];
  let first = true;
  for (const [name, input] of Object.entries(inputs)) {
    const t = process.hrtime.bigint();
    const r = await checkMigration(input);
    out.push([(first ? "cold (the process's first: PGlite starts) " : "warm ") + name, Number(process.hrtime.bigint() - t) / 1e6, r.verdict]);
    first = false;
  }
  const cache = path.join(root, "dist/src/migrations/verdict-cache.js");
  if (fs.existsSync(cache)) {
    const { cachedCheck } = require(cache);
    const input = { ...inputs["V3 (drops legacy_code) while v1 is live"], schema: inputs["V3 (drops legacy_code) while v1 is live"].schema + "\\n-- bench " + process.pid + " " + Date.now() };
    for (const what of ["verdict cache miss (warm checker)", "verdict cache hit"]) {
      const t = process.hrtime.bigint();
      const r = await cachedCheck(input);
      out.push([what, Number(process.hrtime.bigint() - t) / 1e6, r.verdict]);
    }
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`;

function inProcessChecks(root: string): [string, number, string][] {
    return JSON.parse(execFileSync("node", ["-e", checkScript, root], { cwd: root, encoding: "utf8" }).trim()) as [string, number, string][];
}

/** `zdr check-migration` as a user runs it, three calls on the same files (the first with a schema no call has seen). */
function cliCalls(root: string): number[] {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-bench-cli-"));
    try {
        const dir = path.join(root, "app/webshop");
        const files = fs.readdirSync(path.join(dir, "migrations"));
        const mig = (n: number) => path.join(dir, "migrations", files.find((f) => f.startsWith(`V${n}__`))!);
        const schema = path.join(tmp, "schema.sql");
        fs.writeFileSync(schema, `${fs.readFileSync(mig(1), "utf8")}\n${fs.readFileSync(mig(2), "utf8")}\n-- bench ${process.pid} ${Date.now()}\n`);
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
            const t = Date.now();
            try {
                execFileSync(path.join(root, "bin/zdr"), ["check-migration", mig(3), "--schema", schema, "--live-queries", `${path.join(dir, "queries/v1.sql")},${path.join(dir, "queries/v3.sql")}`], { stdio: "ignore" });
            } catch {
                // exit 1: blocked, as expected
            }
            times.push(Date.now() - t);
        }
        return times;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The engine binary itself, on the stack, with the project's settings and no wrapper. */
function engine(root: string, stateDir: string, stack: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ ms: number; ok: boolean; output: string }> {
    const bin = path.join(root, ".zdr/engine/bin");
    const env = { ...process.env, ...engineEnv(stateDir), ...extraEnv, PATH: `${bin}:${path.join(root, "bin")}:${process.env.PATH}` };
    const t = Date.now();
    return new Promise((resolve) => {
        execFile(path.join(bin, "pulumi"), [...args, "--stack", stack, "--non-interactive", "--color", "never"], { cwd: root, env, maxBuffer: 64 * 2 ** 20, timeout: 600_000 }, (e, stdout, stderr) =>
            resolve({ ms: Date.now() - t, ok: !e, output: `${stdout}${stderr}` }),
        );
    });
}

interface Run {
    readonly what: string;
    readonly ms: number;
    /** The guard's own time in it from the profile marks: the Migration resource's checks, the pack's validations. */
    readonly guard?: { readonly provider: number; readonly pack: number };
}

interface StageRow {
    readonly tree: string;
    readonly stage: string;
    readonly runs: readonly Run[];
}

/** Sum of the spans `<label> start` to `<label> end` of `who` whose label passes `keep`. */
function spans(marks: ReturnType<typeof readMarks>, who: string, keep: (label: string) => boolean): number {
    let sum = 0;
    for (const m of marks.filter((x) => x.who === who && x.what.endsWith(" start"))) {
        const label = m.what.slice(0, -" start".length);
        const end = marks.find((x) => x.who === who && x.what === `${label} end` && x.t >= m.t);
        if (keep(label) && end) {
            sum += end.t - m.t;
        }
    }
    return sum;
}

async function stages(tree: string, root: string): Promise<StageRow[]> {
    const { stack, stateDir, close } = await throwawayStack("bench-guard", root);
    const pack = path.join(root, "policy");
    const rows: StageRow[] = [];
    let n = 0;
    /** One engine run, profiled; the guard's time is known where the tree marks it (this tree). */
    const run = async (what: string, args: string[]): Promise<Run> => {
        const profile = path.join(stateDir, `profile-${n++}.jsonl`);
        const r = await engine(root, stateDir, stack.name, args, { ZDR_PROFILE: profile });
        if (!r.ok) {
            throw new Error(`${what} failed: ${r.output.slice(-2000)}`);
        }
        const marks = readMarks(profile);
        const guard = { provider: spans(marks, "provider", (l) => l.startsWith("check zdr:postgres:Migration")), pack: spans(marks, "policy", () => true) };
        return { what, ms: r.ms, ...(fs.existsSync(path.join(root, "src/migrations/guard.ts")) ? { guard } : {}) };
    };
    try {
        await setStageConfig(stack, {
            ...localStackApp(root),
            servers: ["web-1", "web-2"],
            stableVersion: "v1",
            lbPort: String(await freePort()),
            appBasePort: String(await freePortRange(2)),
            dbPort: String(await freePort()),
            drainTimeoutSeconds: "5",
            healthCheckIntervalMs: "200",
            healthTimeoutSeconds: "10",
        });
        await run("first up", ["up", "--yes", "--skip-preview", "--policy-pack", pack]);
        const measured: Stage[] = [
            { name: "v2 to one canary (applies V2)", config: { releaseVersion: "v2", canaryCount: "1" } },
            { name: "canaryCount 2 (applies nothing)", config: { canaryCount: "2" } },
            { name: "promote v2 (applies nothing, live set changes)", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } },
        ];
        for (const stage of measured) {
            await setStageConfig(stack, stage.config);
            const runs: Run[] = [];
            for (let i = 0; i < 2; i++) {
                runs.push(await run("preview", ["preview"]));
                runs.push(await run("preview --policy-pack", ["preview", "--policy-pack", pack]));
            }
            runs.push(await run("up --policy-pack", ["up", "--yes", "--skip-preview", "--policy-pack", pack]));
            rows.push({ tree, stage: stage.name, runs });
        }
        await engine(root, stateDir, stack.name, ["destroy", "--yes", "--skip-preview"]);
    } finally {
        await close();
    }
    return rows;
}

async function main() {
    const revArg = process.argv.indexOf("--before");
    const rev = revArg >= 0 ? process.argv[revArg + 1] : undefined;
    const trees: [string, string][] = [];
    let before: string | undefined;
    try {
        if (rev) {
            before = beforeTree(rev);
            trees.push([`before (${rev})`, before]);
        }
        trees.push(["after (this tree)", projectRoot]);
        console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores\n`);
        console.log("checks in one process (the tree's dist/ checker), ms:");
        for (const [tree, root] of trees) {
            for (const [what, ms, verdict] of inProcessChecks(root)) {
                console.log(`  ${tree.padEnd(22)} ${what.padEnd(78)} ${ms.toFixed(0).padStart(6)}  ${verdict}`);
            }
        }
        console.log("\n`zdr check-migration` V3 --schema V1+V2 --live-queries v1,v3 per call (a new process each; the first on a schema not seen before), wall:");
        for (const [tree, root] of trees) {
            console.log(`  ${tree.padEnd(22)} ${cliCalls(root).map(seconds).join(", ")}`);
        }
        if (process.argv.includes("--no-stages")) {
            return;
        }
        const rows: StageRow[] = [];
        for (const [tree, root] of trees) {
            rows.push(...(await stages(tree, root)));
        }
        console.log(`\nstages on the real engine (two servers; each run's wall time, and on this tree the guard's own time from the marks), load average ${os.loadavg()[0].toFixed(1)}:`);
        for (const r of rows) {
            const best = (what: string) => Math.min(...r.runs.filter((x) => x.what === what).map((x) => x.ms));
            console.log(`  ${r.tree}, ${r.stage}: the pack's cost at a preview (best with - best without) ${seconds(best("preview --policy-pack") - best("preview"))}`);
            for (const x of r.runs) {
                const guard = x.guard ? `guard ${seconds(x.guard.provider + x.guard.pack)} (Migration checks ${seconds(x.guard.provider)}, pack validations ${seconds(x.guard.pack)})` : "";
                console.log(`    ${x.what.padEnd(22)} ${seconds(x.ms).padStart(9)}   ${guard}`);
            }
        }
    } finally {
        if (before) {
            execFileSync("git", ["worktree", "remove", "--force", before], { cwd: projectRoot, stdio: "inherit" });
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
