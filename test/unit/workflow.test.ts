import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("the release workflow", () => {
    it("passes actionlint", () => {
        const r = spawnSync(path.join(projectRoot, ".zdr/tools/bin/actionlint"), [path.join(projectRoot, ".github/workflows/release.yml")], { encoding: "utf8" });
        assert.equal(r.error, undefined, "actionlint is built by scripts/setup");
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });
});
