// docs/hosts.md's HAProxy configuration is what an operator copies: it must run as copied.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";

describe("docs/hosts.md's HAProxy example", () => {
    it("passes HAProxy's own check with no warning", () => {
        const doc = fs.readFileSync(path.join(projectRoot, "docs/hosts.md"), "utf8");
        const block = /```haproxy\n([\s\S]*?)```/.exec(doc);
        assert.ok(block, "docs/hosts.md has a ```haproxy block");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-hosts-doc-"));
        try {
            const file = path.join(dir, "haproxy.cfg");
            fs.writeFileSync(file, block[1]);
            const check = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8", timeout: 30_000 });
            const said = `${check.stdout}${check.stderr}`;
            assert.equal(check.status, 0, said);
            assert.doesNotMatch(said, /WARNING|ALERT/, said);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
