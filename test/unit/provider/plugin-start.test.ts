// The provider plugin (bin/pulumi-resource-zdr) and the CLI (bin/zdr) run their compiled
// JavaScript only while dist/ is fresh, never stale code (both through bin/zdr-launch).
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";

const entryPoints = [
    { bin: "pulumi-resource-zdr", source: "provider/main.ts", compiled: "dist/provider/main.js", args: ["--port", "1"] },
    { bin: "zdr", source: "src/cli.ts", compiled: "dist/src/cli.js", args: ["status", "--json"] },
];
const others = ["provider/haproxy/member.ts", "src/status.ts", "contract/member.ts", "resources/member.ts"];

for (const entry of entryPoints) {
    describe(`the start of bin/${entry.bin}`, function () {
        this.timeout(30_000);
        let root: string;

        /** A copy of the project's layout whose entry point says which of its two forms ran. */
        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-entry-start-"));
            const write = (file: string, text: string) => {
                fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
                fs.writeFileSync(path.join(root, file), text);
            };
            fs.mkdirSync(path.join(root, "bin"));
            for (const script of [entry.bin, "zdr-launch"]) {
                fs.copyFileSync(path.join(projectRoot, "bin", script), path.join(root, "bin", script));
                fs.chmodSync(path.join(root, "bin", script), 0o755);
            }
            fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
            write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }));
            for (const f of others.filter((o) => o !== entry.source)) {
                write(f, "export {};\n");
            }
            write(entry.source, 'console.log(`sources ${process.argv.slice(2).join(" ")}`);\n');
            write(entry.compiled, 'console.log(`dist ${process.argv.slice(2).join(" ")}`);\n');
            const past = new Date(Date.now() - 60_000);
            for (const f of [entry.source, ...others]) {
                fs.utimesSync(path.join(root, f), past, past);
            }
        });
        afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

        const run = () => execFileSync(path.join(root, "bin", entry.bin), entry.args, { encoding: "utf8" }).trim();
        const touch = (file: string) => fs.utimesSync(path.join(root, file), new Date(), new Date(Date.now() + 1000));
        const said = (form: string) => `${form} ${entry.args.join(" ")}`;

        it("runs dist/ when it is newer than every source, with its arguments", () => {
            assert.equal(run(), said("dist"));
        });

        for (const file of [entry.source, ...others]) {
            it(`runs the sources once ${file} is newer than dist/`, () => {
                touch(file);
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
