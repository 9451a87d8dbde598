// src/lazy-sdk.js: the SDK loads TypeScript at its first use, and what uses it works.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("the SDK's heavy modules loaded lazily (src/lazy-sdk.js)", function () {
    this.timeout(60_000);
    const node = (code: string) =>
        JSON.parse(execFileSync("node", ["-r", path.join(projectRoot, "src/lazy-sdk.js"), "-e", code], { cwd: projectRoot, encoding: "utf8" }));
    const loaded = "const ks = Object.keys(require.cache); const has = (m) => ks.some((k) => k.includes(`/node_modules/${m}/`));";

    it("does not load TypeScript with @pulumi/pulumi", () => {
        assert.equal(node(`require("@pulumi/pulumi"); ${loaded} console.log(JSON.stringify(has("typescript")))`), false);
    });

    it("loads TypeScript when the SDK's closure serialization first needs it, and it works", () => {
        const r = node(`const p = require("@pulumi/pulumi"); p.runtime.serializeFunction(() => 42).then((s) => { ${loaded} console.log(JSON.stringify([has("typescript"), s.text.includes("42")])); })`);
        assert.deepEqual(r, [true, true]);
    });
});
