// The database password is a Pulumi secret: it never appears in plain text in the state, the
// engine's output, the logs, the events or the reports.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { setStageConfig } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            return p.endsWith("pgdata") ? [] : filesUnder(p);
        }
        return e.isFile() ? [p] : [];
    });
}

describe("secrets", function () {
    this.timeout(300_000);
    let local: LocalStack;
    let engineOutput = "";

    before(async () => {
        local = await openLocalStack("e2e-secrets", { bakeSeconds: "3" });
        // The judgement writes its reports whatever its verdict; accepting it lets the next up pass.
        await local.underLoad({ name: "canary", config: { releaseVersion: "v2", canaryCount: "1" } });
        await setStageConfig(local.stack, { acceptVerdicts: ["web-1=v2"] });
        const up = await local.stack.up({ onOutput: (s) => (engineOutput += s) });
        engineOutput += up.stdout + up.stderr;
        const preview = await local.stack.preview({ diff: true });
        engineOutput += preview.stdout + preview.stderr;
    });
    after(() => local?.close());

    it("keeps the password out of the state files, where env and connection are ciphertext", () => {
        const stateDir = local.backendUrl.replace("file://", "");
        const stateFiles = filesUnder(stateDir);
        assert.ok(stateFiles.length > 0);
        for (const f of stateFiles) {
            assert.ok(!fs.readFileSync(f, "utf8").includes(local.dbPassword), f);
        }
        const state = JSON.parse(fs.readFileSync(path.join(stateDir, ".pulumi/stacks/zdr", `${local.name}.json`), "utf8"));
        const outputs = (suffix: string) => state.checkpoint.latest.resources.find((r: { urn: string }) => r.urn.endsWith(suffix)).outputs;
        for (const [suffix, key] of [["::webshop-web-1-deploy", "env"], ["::local-postgres", "env"], ["::migration-V1", "connection"]]) {
            const value = outputs(suffix)[key];
            assert.equal(value["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", `${suffix} ${key} is a secret`);
            assert.ok(typeof value.ciphertext === "string" && value.ciphertext.length > 0);
        }
    });

    it("keeps it out of the engine's output, the logs, the events and the reports", () => {
        assert.ok(engineOutput.length > 0 && !engineOutput.includes(local.dbPassword));
        const files = filesUnder(local.dir);
        assert.ok(files.some((f) => f.endsWith(".html")) && files.some((f) => f.endsWith("events.jsonl")) && files.some((f) => f.endsWith("postgres.log")), files.join("\n"));
        for (const f of files) {
            assert.ok(!fs.readFileSync(f, "utf8").includes(local.dbPassword), f);
        }
    });
});
