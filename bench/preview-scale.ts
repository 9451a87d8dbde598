// Benchmark: `pulumi preview` of the release graph of a fresh 1,000-server local stack on the real
// engine (nothing starts: a preview only plans), one server at a time and in batches of 25%.
// The target: at most 30 s. Prints per preview the wall time, the CPU time of the engine,
// the program and the provider together (from /proc: the machine is shared, so wall time follows
// its load; the CPU time barely does), the load average and which builds of the program and the
// provider ran (dist/ when fresh, else the sources through ts-node).
// Run: npx ts-node --transpile-only bench/preview-scale.ts [servers] [rounds]   (after `bash scripts/setup`)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../src/engine";
import { setStageConfig } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";

/** CPU seconds of this process's finished children (the engine and what it started), from /proc. */
function childrenCpuSeconds(): number | undefined {
    try {
        // fields after the command: state is field 3; cutime and cstime are fields 16 and 17
        const fields = fs.readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
        return (Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
        return undefined;
    }
}

/** Whether `compiled` is fresh (newer than every .ts file of `sources`), as program.js and bin/pulumi-resource-zdr decide. */
function build(compiled: string, sources: readonly string[]): string {
    const file = path.join(projectRoot, compiled);
    if (!fs.existsSync(file)) {
        return `sources through ts-node (no ${compiled})`;
    }
    const built = fs.statSync(file).mtimeMs;
    const newer = (p: string): boolean =>
        fs.statSync(p).isDirectory() ? fs.readdirSync(p).some((e) => newer(path.join(p, e))) : p.endsWith(".ts") && fs.statSync(p).mtimeMs > built;
    return sources.some((d) => newer(path.join(projectRoot, d)))
        ? `sources through ts-node (${compiled} older than a source; \`npx tsc -p tsconfig.build.json\` builds it)`
        : `${compiled} (fresh)`;
}

async function main() {
    const count = Number(process.argv[2] ?? 1000);
    const rounds = Number(process.argv[3] ?? 1);
    console.log(`program: ${build("dist/index.js", ["index.ts", "components", "resources", "src", "provider"])}`);
    console.log(`provider: ${build("dist/provider/main.js", ["provider", "src", "resources"])}; ${os.cpus().length} cores`);
    const { stack, close } = await throwawayStack("bench-scale");
    try {
        const servers = Array.from({ length: count }, (_, i) => `web-${i + 1}`);
        // ports only appear in the plan: a preview listens on none of them
        // the server list in one call (setStageConfig sets a list one element per call)
        await stack.setAllConfig(Object.fromEntries(servers.map((s, i) => [`zdr:servers[${i}]`, { value: s }])), true);
        await setStageConfig(stack, { ...localStackApp(projectRoot), releaseVersion: "v2", canaryCount: String(Math.floor(count / 2)), lbPort: "20000", appBasePort: "20001", dbPort: String(20001 + count) });
        for (let round = 0; round < rounds; round++) {
            for (const maxUnavailable of ["1", "25%"]) {
                await setStageConfig(stack, { maxUnavailable });
                const load = os.loadavg()[0];
                const cpuBefore = childrenCpuSeconds();
                const start = process.hrtime.bigint();
                const r = await stack.preview();
                const ms = Number(process.hrtime.bigint() - start) / 1e6;
                const cpuAfter = childrenCpuSeconds();
                const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? `, CPU ${(cpuAfter - cpuBefore).toFixed(1)} s` : "";
                console.log(
                    `preview of a ${count}-server stack, maxUnavailable ${maxUnavailable}: ${(ms / 1000).toFixed(1)} s${cpu}, ` +
                        `${r.changeSummary.create ?? 0} resources to create, load average ${load.toFixed(1)} (target: at most 30 s)`,
                );
            }
        }
    } finally {
        await close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
