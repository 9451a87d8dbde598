// The layers of zdr (.dependency-cruiser.cjs): contract/ imports nothing; src/ (libraries and the
// operations side) imports no provider, resource or component code; the libraries import no
// Pulumi; the provider imports nothing of the program; the program side takes only the provider's
// types; no module needs itself at run time. dependency-cruiser checks every import of the sources.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");

describe("the architecture's layers", () => {
    it("hold for every import of the sources (dependency-cruiser)", () => {
        const run = spawnSync(path.join(root, "node_modules/.bin/depcruise"),
            ["--config", ".dependency-cruiser.cjs", "--output-type", "err", "index.ts", "zdr.ts", "contract", "src", "provider", "resources", "components", "policy"],
            { cwd: root, encoding: "utf8", timeout: 120_000 });
        assert.equal(run.error, undefined, String(run.error));
        assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
        assert.match(run.stdout, /no dependency violations found/);
    }).timeout(150_000);

    it("finds a forbidden import: the same rules, rooted at a fixture tree that breaks two of them", () => {
        const fixtures = "test/unit/fixtures/architecture/";
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-architecture-"));
        try {
            // the project's own rules, each `^src/`-style path rooted at the fixtures instead
            const text = fs.readFileSync(path.join(root, ".dependency-cruiser.cjs"), "utf8")
                .replace(/"\^(contract|src|provider|resources|components|policy)/g, `"^${fixtures}$1`)
                .replace(/"\^\((contract|src|provider|resources|components)/g, `"^${fixtures}($1`)
                .replace("^(dist|test|", "^(dist|"); // the fixtures live under test/, which the project's cruise leaves out
            const config = path.join(dir, "rules.cjs");
            fs.writeFileSync(config, text);
            const run = spawnSync(path.join(root, "node_modules/.bin/depcruise"), ["--config", config, "--output-type", "err", fixtures],
                { cwd: root, encoding: "utf8", timeout: 120_000 });
            assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
            assert.match(run.stdout, /error libraries-and-operations-import-no-program: test\/unit\/fixtures\/architecture\/src\/reads-provider\.ts/);
            assert.match(run.stdout, /error contract-imports-nothing: test\/unit\/fixtures\/architecture\/contract\/reads-src\.ts/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }).timeout(150_000);
});
