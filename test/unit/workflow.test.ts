import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { releasePaths } from "../../components/deployments";
import { projectRoot } from "../../src/engine";

const workflowFile = path.join(projectRoot, ".github/workflows/release.yml");

describe("the release workflow", () => {
    it("passes actionlint", () => {
        const r = spawnSync(path.join(projectRoot, ".zdr/tools/bin/actionlint"), [workflowFile], { encoding: "utf8" });
        assert.equal(r.error, undefined, "actionlint is built by scripts/setup");
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("runs on the same paths as the Pulumi Deployments settings of its stack", () => {
        const wf = yaml.load(fs.readFileSync(workflowFile, "utf8")) as {
            on: { pull_request: { paths: string[] }; push: { paths: string[] } };
            jobs: Record<string, { steps: { with?: { "stack-name"?: string } }[] }>;
        };
        const stacks = [...new Set(Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.with?.["stack-name"]).filter((s): s is string => s !== undefined)))];
        assert.deepEqual(stacks, ["prod"], "the workflow releases one stack");
        // components/deployments.ts gives the Deployments settings releasePaths(stack) (test/unit/components/deployments.test.ts)
        assert.deepEqual(wf.on.pull_request.paths, releasePaths("prod"), "pull_request.paths");
        assert.deepEqual(wf.on.push.paths, releasePaths("prod"), "push.paths");
    });
});
