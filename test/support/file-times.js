// A root hook plugin (.mocharc.json "require") that records each test file's wall time, hooks
// included: with --parallel a root beforeAll/afterAll runs once per file in the worker that runs
// it, and the worker's events reach the reporter only in one burst when the file ends, so the
// reporter cannot time a file itself. Each file appends one JSON line {file, ms} to the file
// named by ZDR_FILE_TIMES, which the summary reporter sets (in the main process, before the
// workers start) and reads at the end of the run.
"use strict";
const fs = require("node:fs");

let started = 0;

exports.mochaHooks = {
    beforeAll() {
        started = Date.now();
    },
    afterAll() {
        const out = process.env.ZDR_FILE_TIMES;
        const root = this.test?.parent;
        const file = root?.file ?? root?.suites?.find((s) => s.file)?.file;
        if (out && file) {
            fs.appendFileSync(out, JSON.stringify({ file, ms: Date.now() - started }) + "\n");
        }
    },
};
