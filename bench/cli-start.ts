// Benchmark: one `zdr` command from the sources through ts-node (as bin/zdr ran it before) and
// from the compiled dist/src/cli.js (as bin/zdr runs it while dist/ is fresh), alternating in one
// run: `zdr analyze` on a small exported window (the judge, its statistics and the report's
// modules) and `zdr --help`; and bin/zdr itself (its launcher, bin/zdr-launch, checks that dist/ is
// fresh, then runs it), with, given a git revision, that revision's launcher beside it (written
// next to bin/zdr-launch for the run: session 11 replaced the bash launcher, its `find` and a second
// node start, with a Node.js one that asks src/dist-fresh.js). Wall and CPU time (user + system of
// the child) per run; median/min/max.
// Run: npx tsc -p tsconfig.build.json && npx ts-node --transpile-only bench/cli-start.ts [rounds=5] [launcherRevision]
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../src/engine";

const rounds = Number(process.argv[2] ?? 5);
const launcherRevision = process.argv[3];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-cli-bench-"));

/** 400 requests a side, seeded by their index: what `zdr analyze` reads. */
function window(file: string, slow: number): string {
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ t: 1_700_000_000_000 + i * 25, status: i % 97 === 0 ? 500 : 200, latencyMs: 5 + ((i * 37) % 11) * slow }));
    fs.writeFileSync(path.join(dir, file), `${lines.join("\n")}\n`);
    return path.join(dir, file);
}
const analyze = ["analyze", "--baseline", window("baseline.jsonl", 1), "--canary", window("canary.jsonl", 1)];
const commands: Record<string, string[]> = { "zdr analyze": analyze, "zdr --help": ["--help"] };
/** bin/zdr's arguments to its launcher. */
const launched = ["src/cli.ts", "src", "targets", "contract", "resources", "provider", "--"];
const oldLauncher = launcherRevision ? path.join(projectRoot, "bin", `.zdr-launch-${launcherRevision}`) : undefined;
const forms: Record<string, string[]> = {
    "sources (ts-node)": ["node", "-r", path.join(projectRoot, "node_modules/ts-node/register/transpile-only"), path.join(projectRoot, "src/cli.ts")],
    "dist/src/cli.js": ["node", path.join(projectRoot, "dist/src/cli.js")],
    "bin/zdr (launcher, dist)": [path.join(projectRoot, "bin/zdr")],
    ...(oldLauncher ? { [`launcher of ${launcherRevision}`]: [oldLauncher, ...launched] } : {}),
};

/** One run: its wall time, and its CPU time (user + system) as bash's `times` gives its children's. */
function run(args: string[]): { wall: number; cpu: number } {
    const started = process.hrtime.bigint();
    // bash's `times` prints the children's user and system time after the command
    const r = spawnSync("bash", ["-c", `"$@" >/dev/null; rc=$?; times; exit $rc`, "bench", ...args], { cwd: projectRoot, encoding: "utf8", timeout: 120_000, env: { ...process.env, TS_NODE_PROJECT: path.join(projectRoot, "tsconfig.json") } });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    // zdr analyze exits 0 pass, 1 fail, 3 inconclusive; 2 is bad input
    if (r.status === null || ![0, 1, 3].includes(r.status)) {
        throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    }
    const lines = r.stdout.trim().split("\n");
    const [user, system] = lines[lines.length - 1].split(/\s+/).map((t) => {
        const m = /(\d+)m([\d.]+)s/.exec(t);
        return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    });
    return { wall, cpu: user + system };
}

const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${s[Math.floor(s.length / 2)].toFixed(2)} s (min ${s[0].toFixed(2)}, max ${s[s.length - 1].toFixed(2)})`;
};

function main() {
    if (!fs.existsSync(path.join(projectRoot, "dist/src/cli.js"))) {
        throw new Error("dist/src/cli.js is missing: run `npx tsc -p tsconfig.build.json` first");
    }
    if (oldLauncher) {
        fs.writeFileSync(oldLauncher, execFileSync("git", ["show", `${launcherRevision}:bin/zdr-launch`], { cwd: projectRoot }), { mode: 0o755 });
    }
    try {
        measure();
    } finally {
        if (oldLauncher) {
            fs.rmSync(oldLauncher, { force: true });
        }
    }
}

function measure() {
    const results: Record<string, { wall: number[]; cpu: number[] }> = {};
    for (let i = 0; i < rounds; i++) {
        for (const [command, args] of Object.entries(commands)) {
            for (const [form, prefix] of Object.entries(forms)) {
                const r = run([...prefix, ...args]);
                const key = `${command}, ${form}`;
                results[key] ??= { wall: [], cpu: [] };
                results[key].wall.push(r.wall);
                results[key].cpu.push(r.cpu);
            }
        }
    }
    console.log(`zdr's command line, ${rounds} rounds alternated, load average ${os.loadavg()[0].toFixed(1)} at the end`);
    for (const [key, r] of Object.entries(results)) {
        console.log(`${key.padEnd(44)} wall ${stats(r.wall)}   cpu ${stats(r.cpu)}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
}

main();
