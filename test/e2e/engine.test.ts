import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isSameProcessAlive } from "../../targets/local/provider/process";
import { createStack, projectRoot } from "../../src/engine";
import { freePort } from "../support/ports";

const fixture = path.join(__dirname, "fixtures/smoke");
/** The version scripts/build-engine builds (its `version=` line: defined there once). */
const builtVersion = /^version=(v\S+)$/m.exec(fs.readFileSync(path.join(projectRoot, "scripts/build-engine"), "utf8"))?.[1];

describe("the real Pulumi engine", function () {
    this.timeout(180_000);

    it(`scripts/pulumi runs the built engine ${builtVersion}`, () => {
        assert.ok(builtVersion, "scripts/build-engine has no `version=v...` line");
        const out = execFileSync(path.join(projectRoot, "scripts/pulumi"), ["version"], {
            env: { ...process.env, ZDR_ENGINE: "built" },
            encoding: "utf8",
        });
        assert.equal(out.trim(), builtVersion);
    });

    it("ups a stack with a zdr:local:Process, saves it in the state, and destroys it", async () => {
        fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
        const stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        const stackName = `smoke-${process.pid}`;
        const port = await freePort();
        const stack = await createStack(fixture, stackName, stateDir);
        let pid: number | undefined;
        let startTicks: string | undefined;
        try {
            await stack.setConfig("port", { value: String(port) });
            const up = await stack.up();
            assert.equal(up.summary.result, "succeeded");
            assert.deepEqual(up.summary.resourceChanges, { create: 2 });
            pid = up.outputs.pid.value as number;

            const res = await fetch(`http://127.0.0.1:${port}/`);
            assert.equal(await res.text(), "smoke ok");

            const state = await stack.exportStack();
            const processes = state.deployment.resources.filter((r: { type: string }) => r.type === "zdr:local:Process");
            assert.equal(processes.length, 1);
            assert.equal(processes[0].outputs.pid, pid);
            assert.equal(processes[0].id, String(pid));
            startTicks = processes[0].outputs.startTicks;
            assert.ok(isSameProcessAlive(pid, startTicks as string), "the process runs after the up");

            const stateFile = path.join(stateDir, ".pulumi/stacks/zdr-smoke", `${stackName}.json`);
            assert.match(fs.readFileSync(stateFile, "utf8"), /"zdr:local:Process"/);

            const preview = await stack.preview();
            assert.deepEqual(preview.changeSummary, { same: 2 });

            const destroy = await stack.destroy();
            assert.equal(destroy.summary.result, "succeeded");
            assert.ok(!isSameProcessAlive(pid, startTicks as string), "destroy stopped the process");
            await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
        } finally {
            if (pid !== undefined && startTicks !== undefined && isSameProcessAlive(pid, startTicks)) {
                process.kill(pid, "SIGKILL");
            }
            await stack.workspace.removeStack(stackName).catch(() => undefined);
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
        assert.ok(!fs.existsSync(path.join(stateDir, ".pulumi/stacks/zdr-smoke", `${stackName}.json`)));
    });
});
