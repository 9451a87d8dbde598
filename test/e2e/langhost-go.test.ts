// The Go tests of zdr's own Node.js language host (tools/engine/langhost: finding the SDK's run
// scripts without a second node, the debug-message switch), run with the engine's Go modules,
// which the engine build (scripts/build-engine) has downloaded by the time e2e files run.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("zdr's language host: its Go tests", function () {
    this.timeout(600_000);
    it("go test ./langhost passes", () => {
        const r = spawnSync("go", ["test", "-count=1", "./langhost/"], { cwd: path.join(projectRoot, "tools/engine"), encoding: "utf8", timeout: 590_000 });
        assert.equal(r.status, 0, `go test exited with ${r.status}${r.signal ? ` (${r.signal})` : ""}:\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /^ok\s+\S+\/langhost/m);
    });
});
