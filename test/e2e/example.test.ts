// examples/own-app on the real engine: a team's own program, importing zdr as a library, releases
// its own app (a Python server) to one canary under load, and back.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { startLoad } from "../../src/load/traffic";
import { freePort, freePortRange } from "../support/ports";

const example = path.join(projectRoot, "examples/own-app");

describe("examples/own-app on the real engine", function () {
    this.timeout(300_000);
    let stack: Stack;
    let stateDir: string;
    let lbUrl: string;

    before(async () => {
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(example, `example-${process.pid}`, stateDir);
        const lbPort = await freePort();
        lbUrl = `http://127.0.0.1:${lbPort}`;
        await stack.setConfig("dbPassword", { value: randomBytes(12).toString("base64url"), secret: true });
        await stack.setConfig("lbPort", { value: String(lbPort) });
        await stack.setConfig("basePort", { value: String(await freePortRange(2)) });
        await stack.setConfig("dbPort", { value: String(await freePort()) });
    });
    after(async () => {
        await stack?.cancel().catch(() => undefined);
        await stack?.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
        await stack?.workspace.removeStack(stack.name).catch(() => undefined);
        fs.rmSync(stateDir, { recursive: true, force: true });
        fs.rmSync(path.join(example, ".state"), { recursive: true, force: true });
    });

    it("brings the team's app up on its stable version", async () => {
        const up = await stack.up();
        assert.deepEqual((up.outputs.servers.value as { name: string; version: string }[]).map((s) => `${s.name}=${s.version}`), ["hello-1=1.0.0", "hello-2=1.0.0"]);
        const res = await fetch(lbUrl);
        assert.equal(await res.text(), "hello from 1.0.0\n");
    });

    it("releases 1.1.0 to one canary under load with no failed request", async () => {
        await stack.setConfig("release", { value: "1.1.0" });
        await stack.setConfig("canaryCount", { value: "1" });
        const load = startLoad(lbUrl, { rate: 60, connections: 4, maxSeconds: 120, paths: ["/"] });
        await new Promise((r) => setTimeout(r, 500));
        const up = await stack.up();
        await new Promise((r) => setTimeout(r, 500));
        const traffic = await load.stop();
        assert.deepEqual((up.outputs.servers.value as { name: string; version: string }[]).map((s) => `${s.name}=${s.version}`), ["hello-1=1.1.0", "hello-2=1.0.0"]);
        assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
        assert.ok(traffic.requests > 50, `only ${traffic.requests} requests`);
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
            seen.add((await fetch(lbUrl)).headers.get("x-app-version") ?? "");
        }
        assert.deepEqual([...seen].sort(), ["1.0.0", "1.1.0"]);
    });
});
