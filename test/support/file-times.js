// A root hook plugin (.mocharc.json "require") that records each test file's wall time, hooks
// included, and the CPU time spent meanwhile by the mocha process and the child processes it
// waited for (the engine runs with their language hosts and providers, CLIs, load); not by the
// servers those leave running (HAProxy, PostgreSQL, the apps), which no one waits for. Wall
// time well above CPU time is time spent waiting: bakes, drains, sleeps, other files' CPU.
// With --parallel a root beforeAll/afterAll runs once per file in the worker that runs it, and
// the worker's events reach the reporter only in one burst when the file ends, so the reporter
// cannot time a file itself. Each file appends one JSON line {file, ms, cpuMs} to the file named
// by ZDR_FILE_TIMES, which the summary reporter sets (in the main process, before the workers
// start) and reads at the end of the run.
"use strict";
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");

let ticksPerSecond;
/** CPU milliseconds of this process and its waited-for children so far (Linux /proc), or undefined. */
function cpuMs() {
    try {
        // fields after the command's closing parenthesis: state is field 3, utime 14 .. cstime 17
        const stat = fs.readFileSync("/proc/self/stat", "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const ticks = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
        ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
        return (ticks * 1000) / ticksPerSecond;
    } catch {
        return undefined;
    }
}

let started = 0;
let cpuStarted;

exports.mochaHooks = {
    beforeAll() {
        started = Date.now();
        cpuStarted = cpuMs();
    },
    afterAll() {
        const out = process.env.ZDR_FILE_TIMES;
        const root = this.test?.parent;
        const file = root?.file ?? root?.suites?.find((s) => s.file)?.file;
        const cpu = cpuMs();
        if (out && file) {
            const cpuUsed = cpu !== undefined && cpuStarted !== undefined ? Math.round(cpu - cpuStarted) : undefined;
            fs.appendFileSync(out, JSON.stringify({ file, ms: Date.now() - started, cpuMs: cpuUsed }) + "\n");
        }
    },
};
