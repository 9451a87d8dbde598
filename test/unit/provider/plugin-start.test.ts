// bin/pulumi-resource-zdr runs the compiled provider only while dist/ is fresh, never stale code.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";

describe("the provider plugin's start (bin/pulumi-resource-zdr)", function () {
    this.timeout(30_000);
    let root: string;

    /** A copy of the project's layout whose provider says which of its two forms ran. */
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-plugin-start-"));
        const write = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), text);
        };
        fs.copyFileSync(path.join(projectRoot, "bin/pulumi-resource-zdr"), path.join(root, "plugin"));
        fs.chmodSync(path.join(root, "plugin"), 0o755);
        fs.mkdirSync(path.join(root, "bin"));
        fs.renameSync(path.join(root, "plugin"), path.join(root, "bin/pulumi-resource-zdr"));
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
        write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }));
        write("provider/main.ts", 'console.log(`sources ${process.argv.slice(2).join(" ")}`);\n');
        write("provider/haproxy/member.ts", "export {};\n");
        write("src/status.ts", "export {};\n");
        write("resources/member.ts", "export {};\n");
        write("dist/provider/main.js", 'console.log(`dist ${process.argv.slice(2).join(" ")}`);\n');
        const past = new Date(Date.now() - 60_000);
        for (const f of ["provider/main.ts", "provider/haproxy/member.ts", "src/status.ts", "resources/member.ts"]) {
            fs.utimesSync(path.join(root, f), past, past);
        }
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const run = () => execFileSync(path.join(root, "bin/pulumi-resource-zdr"), ["--port", "1"], { encoding: "utf8" }).trim();
    const touch = (file: string) => fs.utimesSync(path.join(root, file), new Date(), new Date(Date.now() + 1000));

    it("runs dist/ when it is newer than every source, with the engine's arguments", () => {
        assert.equal(run(), "dist --port 1");
    });

    for (const file of ["provider/haproxy/member.ts", "src/status.ts", "resources/member.ts"]) {
        it(`runs the sources once ${file} is newer than dist/`, () => {
            touch(file);
            assert.equal(run(), "sources --port 1");
        });
    }

    it("runs the sources when dist/ was never built", () => {
        fs.rmSync(path.join(root, "dist"), { recursive: true });
        assert.equal(run(), "sources --port 1");
    });

    it("runs dist/ in an installed package, which has no sources", () => {
        fs.rmSync(path.join(root, "provider"), { recursive: true });
        assert.equal(run(), "dist --port 1");
    });
});
