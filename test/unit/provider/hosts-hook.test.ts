import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { hookCommand } from "../../../provider/hosts/hook";

describe("a hook's command on a host", () => {
    it("sets the hook's environment and quotes every word, as a POSIX shell reads it back", () => {
        const command = hookCommand({ argv: ["sh", "-c", 'echo "$ZDR_SERVER $ZDR_VERSION $0" \'$HOME\'', "it's {x}"], cwd: "", timeoutMs: 1000, env: { ZDR_SERVER: "web-1", ZDR_VERSION: "v2" } });
        assert.equal(execFileSync("sh", ["-c", command], { encoding: "utf8" }), "web-1 v2 it's {x} $HOME\n");
    });

    it("runs in the hook's folder when it names one", () => {
        assert.equal(execFileSync("sh", ["-c", hookCommand({ argv: ["pwd"], cwd: "/tmp", timeoutMs: 1000 })], { encoding: "utf8" }), "/tmp\n");
    });
});
