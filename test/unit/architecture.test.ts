// The layers of zdr (.dependency-cruiser.cjs): contract/ imports nothing; src/ (libraries and the
// operations side) imports no provider, resource or component code; the libraries import no
// Pulumi; the provider imports nothing of the program; the program side takes only the provider's
// types; no module needs itself at run time. dependency-cruiser checks every import of the sources.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");

describe("the architecture's layers", () => {
    it("hold for every import of the sources (dependency-cruiser)", () => {
        const run = spawnSync(path.join(root, "node_modules/.bin/depcruise"),
            ["--config", ".dependency-cruiser.cjs", "--output-type", "err", "index.ts", "zdr.ts", "contract", "src", "targets", "provider", "resources", "components", "policy"],
            { cwd: root, encoding: "utf8", timeout: 120_000 });
        assert.equal(run.error, undefined, String(run.error));
        assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
        assert.match(run.stdout, /no dependency violations found/);
    }).timeout(150_000);

    it("finds a forbidden import: the same rules, rooted at a fixture tree that breaks four of them", () => {
        const fixtures = "test/unit/fixtures/architecture/";
        // the project's own rules, rooted at the fixtures instead (ZDR_ARCHITECTURE_ROOT)
        const run = spawnSync(path.join(root, "node_modules/.bin/depcruise"), ["--config", ".dependency-cruiser.cjs", "--output-type", "err", fixtures],
            { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, ZDR_ARCHITECTURE_ROOT: fixtures } });
        assert.equal(run.status, 4, `${run.stdout}\n${run.stderr}`);
        assert.match(run.stdout, /error libraries-and-operations-import-no-program: test\/unit\/fixtures\/architecture\/src\/reads-provider\.ts/);
        assert.match(run.stdout, /error contract-imports-nothing: test\/unit\/fixtures\/architecture\/contract\/reads-src\.ts/);
        // a target's library importing its own provider, and its provider importing its environment
        assert.match(run.stdout, /error libraries-and-operations-import-no-program: test\/unit\/fixtures\/architecture\/targets\/demo\/config\.ts/);
        assert.match(run.stdout, /error provider-imports-no-program: test\/unit\/fixtures\/architecture\/targets\/demo\/provider\/deploy\.ts/);
    }).timeout(150_000);
});
