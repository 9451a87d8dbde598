// program.js (Pulumi.yaml's main) runs the compiled program only while dist/ is fresh, never stale
// code, and a fresh clone (no dist/) runs index.ts through ts-node.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchProject, type ScratchProject } from "../support/scratch-project";

describe("the program's entry point (program.js)", function () {
    this.timeout(30_000);
    let scratch: ScratchProject;
    let root: string;
    const sources = ["index.ts", "components/fleet.ts", "contract/member.ts", "resources/member.ts", "src/release/plan.ts", "provider/diff.ts", "targets/local/provider/process.ts"];

    /** A copy of the project's layout whose program says which of its two forms ran. */
    beforeEach(() => {
        scratch = scratchProject("zdr-program-start");
        root = scratch.root;
        for (const f of ["program.js", "src/dist-fresh.js", "src/lazy-sdk.js", "src/sdk-debug-log.js", "src/sdk-stacks.js", "tsconfig.pulumi.json"]) {
            scratch.copy(f);
        }
        scratch.write("index.ts", 'const form: string = "sources";\nexport = form;\n');
        for (const f of sources.slice(1)) {
            scratch.write(f, "export {};\n");
        }
        scratch.write("dist/index.js", 'module.exports = "dist";\n');
        scratch.age(sources);
    });
    afterEach(() => scratch.remove());

    const run = () => execFileSync("node", ["-e", `process.stdout.write(require(${JSON.stringify(path.join(root, "program.js"))}))`], { encoding: "utf8" });

    it("runs dist/index.js when it is newer than every source", () => assert.equal(run(), "dist"));

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
