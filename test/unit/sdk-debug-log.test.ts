// src/sdk-debug-log.js: the SDK's debug messages stay in the program when the language host says
// the engine does not want them (ZDR_SDK_DEBUG_LOGS=off), and only then.
// test/e2e/sdk-debug-logs.test.ts shows the whole path through the engine and zdr's language host.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

describe("the SDK's debug messages (src/sdk-debug-log.js)", function () {
    this.timeout(60_000);
    // An engine stand-in that counts the log requests the SDK sends it.
    const sent = (value: string | undefined) => {
        const env = { ...process.env };
        delete env.ZDR_SDK_DEBUG_LOGS;
        if (value !== undefined) {
            env.ZDR_SDK_DEBUG_LOGS = value;
        }
        const code = `
            require(${JSON.stringify(path.join(projectRoot, "src/sdk-debug-log.js"))});
            const settings = require("@pulumi/pulumi/runtime/settings");
            const log = require("@pulumi/pulumi/log");
            const sent = [];
            settings.getEngine = () => ({ log: (req, done) => { sent.push(req.getSeverity()); done(); } });
            Promise.all([log.debug("d"), log.info("i"), log.warn("w")]).then(() => console.log(JSON.stringify(sent)));`;
        return JSON.parse(execFileSync("node", ["-e", code], { cwd: projectRoot, env, encoding: "utf8" })) as number[];
    };
    // engine.proto's LogSeverity: DEBUG 0, INFO 1, WARNING 2
    const cases: { name: string; value: string | undefined; severities: number[] }[] = [
        { name: "drops debug messages when the engine does not want them (off)", value: "off", severities: [1, 2] },
        { name: "sends them when it does (on)", value: "on", severities: [0, 1, 2] },
        { name: "leaves the SDK as it is without the variable (another language host)", value: undefined, severities: [0, 1, 2] },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(sent(c.value), c.severities));
    }

    it("is loaded by program.js before the program", () => {
        const source = fs.readFileSync(path.join(projectRoot, "program.js"), "utf8");
        assert.ok(source.indexOf('require("./src/sdk-debug-log")') >= 0 && source.indexOf('require("./src/sdk-debug-log")') < source.indexOf("require(compiled)"));
    });
});
