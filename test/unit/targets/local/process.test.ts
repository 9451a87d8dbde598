// The act side of zdr:local:Process with real child processes: a process that ignores the stop
// signal is killed after its grace; one that obeys it is not waited for.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isSameProcessAlive, readinessAddresses, startProcess, stopProcess } from "../../../../targets/local/provider/process";
import type { ProcessOutputs } from "../../../../contract/process";

/** Waits (bounded) until the log holds a line. */
async function logShows(file: string, line: string): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
        if (fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").includes(line)) {
            return true;
        }
        await sleep(20);
    }
    return false;
}

describe("zdr:local:Process stop with real child processes", function () {
    this.timeout(20_000);
    let dir: string;
    const started: ProcessOutputs[] = [];
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-process-"));
    });
    afterEach(async () => {
        // whatever a failed test left running is stopped by its pid
        for (const p of started.splice(0)) {
            await stopProcess(p.pid, p.startTicks, 0, "SIGKILL");
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A shell that reports each SIGTERM and goes on running, as a server that ignores it would. */
    const stubborn = () => ["sh", "-c", "trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.05; done"];

    it("sends SIGKILL to a process that ignores SIGTERM once its grace is over", async () => {
        const logFile = path.join(dir, "stubborn.log");
        const p = await startProcess({ command: stubborn(), logFile });
        started.push(p);
        assert.ok(await logShows(logFile, "ready"), "the shell set its trap");
        const t0 = Date.now();
        await stopProcess(p.pid, p.startTicks, 400);
        const took = Date.now() - t0;
        assert.equal(isSameProcessAlive(p.pid, p.startTicks), false, "the process is gone");
        assert.ok(took >= 400, `stop returned after ${took} ms, before the 400 ms grace`);
        assert.ok(took < 2000, `stop took ${took} ms`);
        assert.ok(await logShows(logFile, "got TERM"), `it received SIGTERM first and ignored it; log: ${fs.readFileSync(logFile, "utf8")}`);
    });

    it("does not wait out the grace for a process that exits on SIGTERM", async () => {
        const logFile = path.join(dir, "obedient.log");
        const p = await startProcess({ command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"], logFile });
        started.push(p);
        assert.ok(await logShows(logFile, "ready"));
        const t0 = Date.now();
        await stopProcess(p.pid, p.startTicks, 10_000);
        assert.ok(Date.now() - t0 < 2000, "stopped long before the 10 s grace");
        assert.equal(isSameProcessAlive(p.pid, p.startTicks), false);
        assert.ok(await logShows(logFile, "bye"), "it shut down on SIGTERM itself");
    });

    it("sends the configured stop signal instead of SIGTERM", async () => {
        const logFile = path.join(dir, "sigint.log");
        const p = await startProcess({ command: ["sh", "-c", "trap 'echo got TERM' TERM; trap 'echo got INT; exit 0' INT; echo ready; while :; do sleep 0.05; done"], logFile });
        started.push(p);
        assert.ok(await logShows(logFile, "ready"));
        await stopProcess(p.pid, p.startTicks, 5000, "SIGINT");
        assert.equal(isSameProcessAlive(p.pid, p.startTicks), false);
        // the log writer (scripts/local/log-writer.js) may write the last line after the shell is gone
        assert.ok(await logShows(logFile, "got INT"), `the shell got SIGINT; log: ${fs.readFileSync(logFile, "utf8")}`);
        assert.doesNotMatch(fs.readFileSync(logFile, "utf8"), /got TERM/);
    });

    it("leaves alone a pid whose start time is not the recorded one (a reused pid)", async () => {
        const logFile = path.join(dir, "other.log");
        const p = await startProcess({ command: stubborn(), logFile });
        started.push(p);
        assert.ok(await logShows(logFile, "ready"));
        await stopProcess(p.pid, "1", 100);
        assert.equal(isSameProcessAlive(p.pid, p.startTicks), true, "a process with another start time is not signalled");
        assert.doesNotMatch(fs.readFileSync(logFile, "utf8"), /got TERM/);
    });

    describe("a port another process already holds", () => {
        let other: net.Server;
        let port: number;
        beforeEach(async () => {
            // "another process": a listener of this test's own, on a port the kernel chose
            other = net.createServer((c) => c.end());
            await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
            port = (other.address() as net.AddressInfo).port;
        });
        afterEach(() => new Promise<void>((r) => other.close(() => r())));

        for (const [probe, inputs] of [
            ["readyTcp", (p: number) => ({ readyTcp: `127.0.0.1:${p}` })],
            ["healthUrl", (p: number) => ({ healthUrl: `http://127.0.0.1:${p}/health` })],
        ] as const) {
            it(`is refused before anything starts (${probe}): the other process would answer the readiness check`, async () => {
                const logFile = path.join(dir, "never.log");
                await assert.rejects(
                    startProcess({ command: ["sh", "-c", "echo started"], logFile, label: "server web-1 (v2)", ...inputs(port) }),
                    (e: Error) => {
                        assert.match(e.message, new RegExp(`^server web-1 \\(v2\\): 127\\.0\\.0\\.1:${port} already accepts connections before the process starts`));
                        assert.match(e.message, new RegExp(`ss -ltnp 'sport = :${port}'`));
                        return true;
                    },
                );
                assert.equal(fs.existsSync(logFile), false, "nothing was started (no log file)");
            });
        }
    });

    it("probes the health URL's own address, with the scheme's default port", () => {
        assert.deepEqual(readinessAddresses({ readyTcp: "127.0.0.1:5432", healthUrl: "http://127.0.0.1:8081/health" }), ["127.0.0.1:5432", "127.0.0.1:8081"]);
        assert.deepEqual(readinessAddresses({ healthUrl: "http://localhost/health" }), ["localhost:80"]);
        assert.deepEqual(readinessAddresses({}), []);
    });
});
