// src/sdk-stacks.js: the SDK's bookkeeping stacks (a resource's call sites, a tracked promise's
// stack) are formatted as V8 does, not mapped through source maps; every other stack still is.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("the SDK's own stack traces (src/sdk-stacks.js)", function () {
    this.timeout(60_000);
    // As cmd/run does it: source-map-support first (here counting its calls), then program.js's modules.
    const run = (withModule: boolean) => {
        const code = `
            require("source-map-support").install();
            const mapped = Error.prepareStackTrace;
            let calls = 0;
            Error.prepareStackTrace = (e, f) => { calls++; return mapped(e, f); };
            ${withModule ? `require(${JSON.stringify(path.join(projectRoot, "src/sdk-stacks.js"))});` : ""}
            const { Resource } = require("@pulumi/pulumi/resource");
            const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");
            const sites = Resource.callsites();
            const input = Promise.resolve(1);
            const p = debuggablePromise(input, "a promise");
            const bookkeeping = calls;
            const thrown = new Error("boom").stack;
            const out = JSON.stringify({ bookkeeping, after: calls, site: sites.find((s) => s.file), promiseStack: input._debugStackTrace, thrown });
            p.then(() => process.stdout.write(out));`;
        return JSON.parse(execFileSync("node", ["-e", code], { cwd: projectRoot, encoding: "utf8" })) as {
            bookkeeping: number;
            after: number;
            site?: { file: string; line: number; column: number };
            promiseStack: string;
            thrown: string;
        };
    };

    it("without it, source-map-support formats every bookkeeping stack (what it saves)", () => {
        const r = run(false);
        assert.equal(r.bookkeeping, 2, JSON.stringify(r));
    });

    it("with it, the bookkeeping stacks skip source-map-support and keep V8's format, which the SDK parses", () => {
        const r = run(true);
        assert.equal(r.bookkeeping, 0, JSON.stringify(r));
        assert.ok(r.site && r.site.line > 0 && r.site.column > 0 && r.site.file.length > 0, `a call site with a position: ${JSON.stringify(r.site)}`);
        assert.match(r.promiseStack, /^Error\n {4}at debuggablePromise \(.*runtime[\\/]debuggable\.js:\d+:\d+\)/);
    });

    it("with it, every other stack still goes through source-map-support", () => {
        const r = run(true);
        assert.equal(r.after, 1, JSON.stringify(r));
        assert.match(r.thrown, /^Error: boom\n {4}at /);
    });

    it("is loaded by program.js before the program", () => {
        const source = fs.readFileSync(path.join(projectRoot, "program.js"), "utf8");
        const at = source.indexOf('require("./src/sdk-stacks")');
        assert.ok(at >= 0 && at < source.indexOf("require(compiled)"));
    });
});
