import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../src/engine";

const fixture = path.join(__dirname, "fixtures/debug-logs");
const run = promisify(execFile);
const registering = "Registering resource: t=zdrtest:debug:Thing";

// The SDK sends a debug message per registration; zdr's language host has the program send them
// only when the engine shows or logs them (tools/engine/langhost/debuglogs.go, src/sdk-debug-log.js).
describe("the SDK's debug messages", function () {
    this.timeout(180_000);
    const stack = `debug-logs-${process.pid}`;
    let stateDir: string;
    let env: NodeJS.ProcessEnv;
    const pulumi = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
        run(path.join(projectRoot, "scripts/pulumi"), [...args, "--stack", stack, "--cwd", fixture, "--non-interactive"], {
            env: { ...env, ...extraEnv },
            encoding: "utf8",
            timeout: 120_000,
            maxBuffer: 64 * 1024 * 1024,
        });
    /** The debug diagnostics of a preview's event log (the engine writes every message it got there). */
    const debugMessages = (eventLog: string): string[] =>
        fs.readFileSync(eventLog, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.diagnosticEvent?.severity === "debug").map((e) => e.diagnosticEvent.message as string);

    before(async () => {
        fs.mkdirSync(path.join(projectRoot, ".zdr"), { recursive: true });
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        // PULUMI_DEBUG_COMMANDS: --event-log, as the Automation API runs it
        env = { ...process.env, PULUMI_BACKEND_URL: `file://${stateDir}`, PULUMI_DEBUG_COMMANDS: "true" };
        delete env.ZDR_SDK_DEBUG_LOGS;
        await run(path.join(projectRoot, "scripts/pulumi"), ["stack", "init", stack, "--cwd", fixture, "--non-interactive"], { env, encoding: "utf8" });
    });

    after(async () => {
        await run(path.join(projectRoot, "scripts/pulumi"), ["stack", "rm", stack, "--yes", "--force", "--cwd", fixture, "--non-interactive"], { env, encoding: "utf8" }).catch(() => undefined);
        fs.rmSync(path.join(fixture, `Pulumi.${stack}.yaml`), { force: true });
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("stay in the program on a plain preview: the engine would drop them", async () => {
        const eventLog = path.join(stateDir, "plain.jsonl");
        const out = await pulumi(["preview", "--event-log", eventLog]);
        assert.match(out.stdout, /\+ 2 to create/);
        // (the stack's own registration, which @pulumi/pulumi/cmd/run makes before it loads the program, still sends its few)
        assert.deepEqual(debugMessages(eventLog).filter((m) => m.includes("zdrtest:debug:Thing")), []);
    });

    it("reach the engine and show with --debug", async () => {
        const eventLog = path.join(stateDir, "debug.jsonl");
        const out = await pulumi(["preview", "--debug", "--event-log", eventLog]);
        assert.ok(out.stdout.includes(registering), out.stdout);
        assert.ok(debugMessages(eventLog).some((m) => m.includes(registering)));
    });

    it("reach the engine's own log with -v=9 --logtostderr", async () => {
        const out = await pulumi(["preview", "-v=9", "--logtostderr"]);
        assert.ok(out.stderr.includes(registering), "the engine's log on stderr names the registration");
    });

    it("reach the engine when ZDR_SDK_DEBUG_LOGS=on is set, whatever the engine's flags", async () => {
        const eventLog = path.join(stateDir, "forced.jsonl");
        await pulumi(["preview", "--event-log", eventLog], { ZDR_SDK_DEBUG_LOGS: "on" });
        assert.ok(debugMessages(eventLog).some((m) => m.includes(registering)));
    });
});
