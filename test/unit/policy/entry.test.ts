// policy/index.js (the pack's entry for the engine) runs the compiled pack while dist/ is
// fresh, never stale code, and a fresh clone (no dist/) runs index.ts through ts-node.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";

describe("the policy pack's entry point (policy/index.js)", function () {
    this.timeout(30_000);
    let root: string;
    const sources = ["policy/index.ts", "policy/migrations.ts", "src/migrations/check.ts", "contract/tokens.ts", "resources/migration.ts"];

    /** A copy of the project's layout whose pack says which of its two forms ran. */
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-policy-entry-"));
        const write = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), text);
        };
        for (const f of ["policy/index.js", "src/dist-fresh.js"]) {
            write(f, fs.readFileSync(path.join(projectRoot, f), "utf8"));
        }
        write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }));
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
        write("policy/index.ts", 'const form: string = "sources";\n(globalThis as any).form = form;\n');
        for (const f of sources.slice(1)) {
            write(f, "export {};\n");
        }
        write("dist/policy/index.js", 'globalThis.form = "dist";\n');
        const past = new Date(Date.now() - 60_000);
        for (const f of sources) {
            fs.utimesSync(path.join(root, f), past, past);
        }
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const run = () => execFileSync("node", ["-e", `require(${JSON.stringify(path.join(root, "policy/index.js"))}); process.stdout.write(globalThis.form)`], { encoding: "utf8" });

    it("runs dist/policy/index.js when it is newer than every source", () => assert.equal(run(), "dist"));
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
