// Benchmark: how long the program's node process takes to load the SDK and the program's modules
// (every module index.ts imports), from the process's start: the TypeScript sources through
// ts-node with the SDK loading everything (as `typescript: true` ran it), the compiled dist/ with
// the SDK loading everything, and dist/ with src/lazy-sdk.js (as program.js runs it now), and
// the same with targets/aws/environment (index.ts loads it only on the AWS target), alternating in one
// run. Every `pulumi up` starts the program once.
// Run: npx tsc -p tsconfig.build.json && npx ts-node --transpile-only bench/program-start.ts
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../src/engine";

const rounds = 5;

/** The project modules index.ts imports, e.g. "components/fleet". */
const imports = [...fs.readFileSync(path.join(projectRoot, "index.ts"), "utf8").matchAll(/^import .* from "\.\/([^"]+)";$/gm)].map((m) => m[1]);

function script(dir: string, ext: string, extra: string[]): string {
    const modules = ["@pulumi/pulumi", ...[...imports, ...extra].map((m) => path.join(projectRoot, dir, `${m}${ext}`))];
    return `for (const m of ${JSON.stringify(modules)}) require(m); console.log(JSON.stringify({ ms: performance.now(), modules: Object.keys(require.cache).length }));`;
}

const tsNode = ["-r", path.join(projectRoot, "node_modules/ts-node/register/transpile-only")];
const lazy = ["-r", path.join(projectRoot, "src/lazy-sdk.js")];
const modes: Record<string, string[]> = {
    "sources (ts-node), whole SDK, targets/aws/environment": [...tsNode, "-e", script("", ".ts", ["targets/aws/environment"])],
    "dist/, whole SDK, targets/aws/environment": ["-e", script("dist", ".js", ["targets/aws/environment"])],
    "dist/, whole SDK": ["-e", script("dist", ".js", [])],
    "dist/, lazy SDK (program.js)": [...lazy, "-e", script("dist", ".js", [])],
};

function main() {
    if (!fs.existsSync(path.join(projectRoot, "dist/index.js"))) {
        throw new Error("dist/index.js is missing: run `npx tsc -p tsconfig.build.json` first");
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    const counts: Record<string, number> = {};
    for (let i = 0; i < rounds; i++) {
        for (const [mode, args] of Object.entries(modes)) {
            const out = JSON.parse(execFileSync("node", args, { cwd: projectRoot, encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: path.join(projectRoot, "tsconfig.pulumi.json") }, timeout: 60_000 })) as { ms: number; modules: number };
            times[mode].push(out.ms);
            counts[mode] = out.modules;
        }
    }
    console.log(`program modules loaded, ${rounds} rounds alternating        median s   min s   max s   modules`);
    for (const [mode, t] of Object.entries(times)) {
        const s = [...t].sort((a, b) => a - b);
        console.log(`${mode.padEnd(52)} ${(s[Math.floor(s.length / 2)] / 1000).toFixed(2).padStart(8)} ${(s[0] / 1000).toFixed(2).padStart(7)} ${(s[s.length - 1] / 1000).toFixed(2).padStart(7)} ${String(counts[mode]).padStart(9)}`);
    }
}

main();
