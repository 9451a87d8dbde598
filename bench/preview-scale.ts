// Benchmark: `pulumi preview` of the release graph of a fresh 1,000-server local stack on the real
// engine (nothing starts: a preview only plans), one server at a time and in batches of 25%.
// The target: at most 30 s. Prints the wall time, the resources planned and the heap.
// Run: npx ts-node --transpile-only bench/preview-scale.ts [servers]      (after `bash scripts/setup`)
import { projectRoot } from "../src/engine";
import { setStageConfig } from "../src/release/stages";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";

async function timeIt<T>(f: () => Promise<T>): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const r = await f();
    return [r, Number(process.hrtime.bigint() - start) / 1e6];
}

async function main() {
    const count = Number(process.argv[2] ?? 1000);
    const { stack, close } = await throwawayStack("bench-scale");
    try {
        const servers = Array.from({ length: count }, (_, i) => `web-${i + 1}`);
        // ports only appear in the plan: a preview listens on none of them
        // the server list in one call (setStageConfig sets a list one element per call)
        await stack.setAllConfig(Object.fromEntries(servers.map((s, i) => [`zdr:servers[${i}]`, { value: s }])), true);
        await setStageConfig(stack, { ...localStackApp(projectRoot), releaseVersion: "v2", canaryCount: String(Math.floor(count / 2)), lbPort: "20000", appBasePort: "20001", dbPort: String(20001 + count) });
        for (const maxUnavailable of ["1", "25%"]) {
            await setStageConfig(stack, { maxUnavailable });
            const [r, ms] = await timeIt(() => stack.preview());
            console.log(`preview of a ${count}-server stack, maxUnavailable ${maxUnavailable}: ${(ms / 1000).toFixed(1)} s, ${r.changeSummary.create ?? 0} resources to create (target: at most 30 s)`);
        }
    } finally {
        await close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
