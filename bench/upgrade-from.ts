// Check: a stack made by an older revision's code, upped by this branch's code, changes nothing
// (no replacement, no update; from before issue 28, only the batches' checks are created). It ups a local three-server stack (v1, then web-1 to v2, judged) in a
// detached checkout of REV, then switches that same checkout (same folder: the local target's
// paths are part of the resources' inputs) to this branch's HEAD, rebuilds dist/ (and the
// engine's language host when it differs, about 30 s with warm Go caches), and previews and ups
// the stack again with the same config. Prints the steps of each; exits 1 if the last two are not
// all `same` (and the StackReference read).
// Run: npx ts-node --transpile-only bench/upgrade-from.ts REV [TO]   (commit first: TO is HEAD by default)
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../src/engine";
import { localStackApp } from "../src/stack-file";
import { throwawayStack } from "./throwaway-stack";
import { runStage, Stage } from "../src/release/stages";
import { freePort, freePortRange } from "../test/support/ports";

async function main() {
    const rev = process.argv[2];
    if (!rev) {
        throw new Error("usage: bench/upgrade-from.ts REV (e.g. main)");
    }
    // the code the stack is upgraded to: HEAD, or a second revision (REV REV compares a revision with itself)
    const head = execFileSync("git", ["rev-parse", process.argv[3] ?? "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim();
    const dir = path.join(projectRoot, ".zdr/upgrade-from");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (fs.existsSync(dir)) {
        git("worktree", "remove", "--force", dir);
    }
    git("worktree", "add", "--detach", dir, rev);
    fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, ".zdr"), { recursive: true });
    execFileSync("cp", ["-a", fs.realpathSync(path.join(projectRoot, ".zdr/engine")), path.join(dir, ".zdr/engine")]);
    const build = () => execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
    build();
    const { stack, close } = await throwawayStack("upgrade", dir);
    let failed = false;
    try {
        const stages: Stage[] = [
            { name: `v1 (${rev})`, config: { ...localStackApp(dir), lbPort: String(await freePort()), appBasePort: String(await freePortRange(3)), dbPort: String(await freePort()), prometheusPort: String(await freePortRange(3)), healthCheckIntervalMs: "200", drainTimeoutSeconds: "5", healthTimeoutSeconds: "10" } },
            // judged (bakeSeconds): the Judgement's inputs are compared too
            { name: `web-1 to v2, judged (${rev})`, config: { releaseVersion: "v2", canaryCount: "1", bakeSeconds: "3" } },
        ];
        for (const stage of stages) {
            const r = await runStage(stack, stage);
            if (!r.ok) {
                throw new Error(`${stage.name}: ${r.error}`);
            }
            console.log(`${stage.name}: ${r.steps.length} steps (${r.steps.map((s) => `${s.op} ${s.name}`).join(", ")})`);
        }
        // the same folder, this branch's code (dist/ rebuilt: program.js and the provider run it)
        execFileSync("git", ["checkout", "--detach", head], { cwd: dir, stdio: "inherit" });
        build();
        const preview = await stack.preview({ diff: true });
        console.log(`preview (this branch, ${head.slice(0, 7)}): ${JSON.stringify(preview.changeSummary)}`);
        if (Object.keys(preview.changeSummary).some((k) => k !== "same" && k !== "read")) {
            console.log(preview.stdout);
        }
        const up = await runStage(stack, { name: "same config", config: {} });
        if (!up.ok) {
            throw new Error(`up: ${up.error}`);
        }
        console.log(`up (this branch): ${up.steps.length} steps other than same${up.steps.length ? `: ${up.steps.map((s) => `${s.op} ${s.type} ${s.name}`).join(", ")}` : ""}`);
        // "read": the program's StackReference "last-up", read on every run. A batch's check
        // (zdr:release:BatchCheck, issue 28) is created on a stack from before it: state only,
        // it touches no server.
        const touching = up.steps.filter((s) => !(s.op === "create" && s.type === "zdr:release:BatchCheck"));
        const checksCreated = up.steps.length - touching.length;
        failed = touching.length > 0 || Object.entries(preview.changeSummary).some(([k, n]) => k !== "same" && k !== "read" && !(k === "create" && n === checksCreated));
    } finally {
        await stack.destroy().catch((e) => console.error(`destroy: ${e.message}`));
        await close();
        git("worktree", "remove", "--force", dir);
    }
    console.log(failed ? "CHANGED: the branch's code changes a stack made by the older code" : "nothing changed");
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
