// program.js (Pulumi.yaml's main) runs the compiled program only while dist/ is fresh, never stale
// code, and a fresh clone (no dist/) runs index.ts through ts-node.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("the program's entry point (program.js)", function () {
    this.timeout(30_000);
    let root: string;
    const sources = ["index.ts", "components/fleet.ts", "contract/member.ts", "resources/member.ts", "src/release/plan.ts", "provider/local/process.ts"];

    /** A copy of the project's layout whose program says which of its two forms ran. */
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-program-start-"));
        const write = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), text);
        };
        for (const f of ["program.js", "src/dist-fresh.js", "src/lazy-sdk.js", "src/sdk-debug-log.js", "src/sdk-stacks.js", "tsconfig.pulumi.json"]) {
            write(f, fs.readFileSync(path.join(projectRoot, f), "utf8"));
        }
        write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }));
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
        write("index.ts", 'const form: string = "sources";\nexport = form;\n');
        for (const f of sources.slice(1)) {
            write(f, "export {};\n");
        }
        write("dist/index.js", 'module.exports = "dist";\n');
        const past = new Date(Date.now() - 60_000);
        for (const f of sources) {
            fs.utimesSync(path.join(root, f), past, past);
        }
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const run = () => execFileSync("node", ["-e", `process.stdout.write(require(${JSON.stringify(path.join(root, "program.js"))}))`], { encoding: "utf8" });

    it("runs dist/index.js when it is newer than every source", () => assert.equal(run(), "dist"));

    for (const file of sources) {
        it(`runs index.ts through ts-node once ${file} is newer than dist/`, () => {
            fs.utimesSync(path.join(root, file), new Date(), new Date(Date.now() + 1000));
            assert.equal(run(), "sources");
        });
    }

    it("runs index.ts through ts-node in a fresh clone (no dist/)", () => {
        fs.rmSync(path.join(root, "dist"), { recursive: true });
        assert.equal(run(), "sources");
    });
});
