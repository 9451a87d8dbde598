// The provider plugin (bin/pulumi-resource-zdr) and the CLI (bin/zdr) run their compiled
// JavaScript only while dist/ is fresh, never stale code (both through bin/zdr-launch).
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchProject, type ScratchProject } from "../../support/scratch-project";

const entryPoints = [
    { bin: "pulumi-resource-zdr", source: "provider/main.ts", compiled: "dist/provider/main.js", args: ["--port", "1"] },
    { bin: "zdr", source: "src/cli.ts", compiled: "dist/src/cli.js", args: ["status", "--json"] },
];
// a plain-JS module too (src/monitors/file-sd.js is compiled into dist/ with the TypeScript that imports it)
const others = ["provider/haproxy/member.ts", "targets/local/provider/process.ts", "src/status/index.ts", "src/monitors/file-sd.js", "contract/member.ts", "resources/member.ts"];

for (const entry of entryPoints) {
    describe(`the start of bin/${entry.bin}`, function () {
        this.timeout(30_000);
        let scratch: ScratchProject;
        let root: string;

        /** A copy of the project's layout whose entry point says which of its two forms ran. */
        beforeEach(() => {
            scratch = scratchProject("zdr-entry-start");
            root = scratch.root;
            for (const script of [entry.bin, "zdr-launch"]) {
                scratch.copy(`bin/${script}`);
            }
            // the launcher asks the same freshness check as program.js
            scratch.copy("src/dist-fresh.js");
            for (const f of others.filter((o) => o !== entry.source)) {
                scratch.write(f, "export {};\n");
            }
            scratch.write(entry.source, 'console.log(`sources ${process.argv.slice(2).join(" ")}`);\n');
            scratch.write(entry.compiled, 'console.log(`dist ${process.argv.slice(2).join(" ")}`);\n');
            scratch.age([entry.source, ...others]);
        });
        afterEach(() => scratch.remove());

        const run = () => execFileSync(path.join(root, "bin", entry.bin), entry.args, { encoding: "utf8" }).trim();
        const said = (form: string) => `${form} ${entry.args.join(" ")}`;

        it("runs dist/ when it is newer than every source, with its arguments", () => {
            assert.equal(run(), said("dist"));
        });

        for (const file of [entry.source, ...others]) {
            it(`runs the sources once ${file} is newer than dist/`, () => {
                scratch.touch(file);
                assert.equal(run(), said("sources"));
            });
        }

        it("runs the sources when dist/ was never built", () => {
            fs.rmSync(path.join(root, "dist"), { recursive: true });
            assert.equal(run(), said("sources"));
        });

        it("runs dist/ in an installed package, which has no sources", () => {
            fs.rmSync(path.join(root, path.dirname(entry.source)), { recursive: true });
            assert.equal(run(), said("dist"));
        });
    });
}
