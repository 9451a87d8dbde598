// Benchmark: how long the zdr provider plugin takes to start (from its exec to the port it
// prints, which is when the engine can talk to it), run from the TypeScript sources through
// ts-node and from the compiled dist/, each with every type's module loaded at start (as before
// provider/main.ts loaded them per type; preloaded with node -r) and lazily, alternating in one
// run. Every `pulumi up` starts it once.
// Run: npx tsc -p tsconfig.build.json && npx ts-node --transpile-only bench/provider-start.ts
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../src/engine";

const rounds = 7;

// Every type's module, as provider/main.ts loaded them at start before it loaded them per type.
const typeModules = ["local/process", "haproxy/member", "haproxy/load-balancer", "haproxy/server", "postgres/migration", "canary/judgement", "release/epoch", "aws/target-health"];
const preload = (dir: string, ext: string) => typeModules.flatMap((m) => ["-r", path.join(projectRoot, dir, `${m}${ext}`)]);
const tsNode = ["-r", path.join(projectRoot, "node_modules/ts-node/register/transpile-only")];

const modes: Record<string, string[]> = {
    "sources (ts-node), every type at start": ["node", ...tsNode, ...preload("provider", ".ts"), path.join(projectRoot, "provider/main.ts")],
    "sources (ts-node), types loaded lazily": ["node", ...tsNode, path.join(projectRoot, "provider/main.ts")],
    "compiled (dist/), every type at start": ["node", ...preload("dist/provider", ".js"), path.join(projectRoot, "dist/provider/main.js")],
    "compiled (dist/), types loaded lazily": ["node", path.join(projectRoot, "dist/provider/main.js")],
    "bin/pulumi-resource-zdr": [path.join(projectRoot, "bin/pulumi-resource-zdr")],
};

/** Milliseconds from spawn to the first line on stdout (the plugin's port); bounded at 60 s. */
function startMs(argv: string[]): Promise<number> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        // an engine address nobody listens on: the plugin only connects to it when it logs
        const child = spawn(argv[0], [...argv.slice(1), "127.0.0.1:1"], { cwd: projectRoot, env: { ...process.env, TS_NODE_PROJECT: path.join(projectRoot, "tsconfig.json") }, stdio: ["ignore", "pipe", "inherit"] });
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`${argv.join(" ")} printed no port in 60 s`));
        }, 60_000);
        child.stdout.once("data", (d: Buffer) => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            clearTimeout(timer);
            if (!/^\d+\s*$/.test(d.toString())) {
                child.kill("SIGKILL");
                reject(new Error(`unexpected first output: ${d}`));
                return;
            }
            child.once("exit", () => resolve(ms));
            child.kill("SIGTERM");
        });
        child.once("error", reject);
    });
}

async function main() {
    if (!fs.existsSync(path.join(projectRoot, "dist/provider/main.js"))) {
        throw new Error("dist/provider/main.js is missing: run `npx tsc -p tsconfig.build.json` first");
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    for (let i = 0; i < rounds; i++) {
        for (const [mode, argv] of Object.entries(modes)) {
            times[mode].push(await startMs(argv));
        }
    }
    console.log(`provider start, ${rounds} rounds alternating              median s   min s   max s`);
    for (const [mode, t] of Object.entries(times)) {
        const s = [...t].sort((a, b) => a - b);
        console.log(`${mode.padEnd(52)} ${(s[Math.floor(s.length / 2)] / 1000).toFixed(2).padStart(8)} ${(s[0] / 1000).toFixed(2).padStart(7)} ${(s[s.length - 1] / 1000).toFixed(2).padStart(7)}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
