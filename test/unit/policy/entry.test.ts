// policy/index.js (the pack's entry for the engine) runs the compiled pack while dist/ is
// fresh, never stale code, and a fresh clone (no dist/) runs index.ts through ts-node.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchProject, type ScratchProject } from "../../support/scratch-project";

describe("the policy pack's entry point (policy/index.js)", function () {
    this.timeout(30_000);
    let scratch: ScratchProject;
    let root: string;
    const sources = ["policy/index.ts", "policy/migrations.ts", "src/migrations/check.ts", "contract/tokens.ts", "resources/migration.ts"];

    /** A copy of the project's layout whose pack says which of its two forms ran. */
    beforeEach(() => {
        scratch = scratchProject("zdr-policy-entry");
        root = scratch.root;
        for (const f of ["policy/index.js", "src/dist-fresh.js"]) {
            scratch.copy(f);
        }
        scratch.write("policy/index.ts", 'const form: string = "sources";\n(globalThis as any).form = form;\n');
        for (const f of sources.slice(1)) {
            scratch.write(f, "export {};\n");
        }
        scratch.write("dist/policy/index.js", 'globalThis.form = "dist";\n');
        scratch.age(sources);
    });
    afterEach(() => scratch.remove());

    const run = () => execFileSync("node", ["-e", `require(${JSON.stringify(path.join(root, "policy/index.js"))}); process.stdout.write(globalThis.form)`], { encoding: "utf8" });

    it("runs dist/policy/index.js when it is newer than every source", () => assert.equal(run(), "dist"));
    for (const file of sources) {
        it(`runs index.ts through ts-node once ${file} is newer than dist/`, () => {
            scratch.touch(file);
            assert.equal(run(), "sources");
        });
    }
    it("runs index.ts through ts-node in a fresh clone (no dist/)", () => {
        fs.rmSync(path.join(root, "dist"), { recursive: true });
        assert.equal(run(), "sources");
    });
});
