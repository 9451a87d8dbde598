// The canary's own log lines on the real engine: a release whose every request succeeds but
// which writes a new error line to stderr (the webshop's "logfault") fails its canary on that
// template alone (no x-error header, no failed request), and the report lists the template
// with its counts and first-seen time.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { runStage } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

describe("canary judgement on the app's own log lines (local default)", function () {
    this.timeout(300_000);

    let local: LocalStack;
    before(async () => {
        // the file judges log lines: a Node canary just started on this busy machine can be slower
        // than the warm baseline for seconds (once +49% before the template decided); the team's
        // warm-up setting leaves its first 10 s out of the latency and tail checks, not the log's
        local = await openLocalStack("e2e-canary-log", { bakeSeconds: "60", canaryWarmupSeconds: "10" });
    });
    after(() => local?.close());

    it("fails a canary that logs a new error template to stderr while every request succeeds, and names the template", async () => {
        const started = Date.now();
        const { result, traffic } = await local.underLoad({ name: "logfault canary", config: { releaseVersion: "logfault", canaryCount: "1" } }, 200);
        assert.equal(result.ok, false);
        assert.equal(traffic.failed, 0, "no request failed: only the app's log shows the fault");
        const template = "log: ERROR loyalty points not credited for request <num>: points service refused";
        assert.match(result.error ?? "", /canary web-1 \(logfault\) failed its judgement against web-2, web-3/);
        assert.ok((result.error ?? "").includes(`new-error: ${template}`), result.error);
        const report = JSON.parse(fs.readFileSync(path.join(local.dir, "judgements/web-1-logfault.json"), "utf8"));
        assert.equal(report.verdict, "fail");
        const check = report.checks.find((c: { name: string }) => c.name === `new-error: ${template}`);
        assert.equal(check?.verdict, "fail", JSON.stringify(report.checks, null, 1));
        assert.match(check.detail, /canary requests \([\d.]+%\) logged a line the baseline never showed/);
        assert.notEqual(report.checks.find((c: { name: string }) => c.name === "error-rate").verdict, "fail");
        const t = report.appLogTemplates.find((x: { signature: string }) => x.signature === template);
        assert.ok(t && t.canaryLines > 0 && t.baselineLines === 0, JSON.stringify(report.appLogTemplates));
        assert.ok(t.canaryFirstSeen >= report.from && t.canaryFirstSeen <= report.to, "first seen within the bake");
        assert.ok(report.to - report.from < 60_000, "decided before the end of the 60 s bake");
        const html = fs.readFileSync(path.join(local.dir, "judgements/web-1-logfault.html"), "utf8");
        assert.ok(html.includes("ERROR loyalty points not credited for request &#60;num&#62;: points service refused"));
        console.log(`      logfault canary failed after ${report.decidedAfter} canary requests, ${((report.to - report.from) / 1000).toFixed(1)} s into a 60 s bake (up took ${((Date.now() - started) / 1000).toFixed(0)} s); template logged ${t.canaryLines} times, first seen ${new Date(t.canaryFirstSeen).toISOString()}; ${traffic.requests} requests, 0 failed`);
    });

    it("rolls the canary back with no failed request", async () => {
        const { result, traffic } = await local.underLoad({ name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(result.ok, result.error);
        assert.equal(traffic.failed, 0);
        const back = await runStage(local.stack, { name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1", bakeSeconds: "8" } });
        assert.ok(back.ok, back.error);
    });
});
