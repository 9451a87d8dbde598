// Mocha's spec reporter plus a table of the time per test file and one closing line CI reads:
// "N passed, N failed, N skipped". Run serially, a file's time is its wall time (hooks included);
// with --parallel a worker's events arrive in one burst when its file ends, so the table shows
// the sum of the file's test durations instead (hooks not included).
"use strict";
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const parallel = typeof runner.isParallelMode === "function" && runner.isParallelMode();
        /** file -> { start, ms } */
        const files = new Map();
        const fileOf = (x) => x.file ?? x.parent?.file;
        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            const file = fileOf(suite);
            if (file && !files.has(file)) {
                files.set(file, { start: Date.now(), ms: 0 });
            }
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            const f = files.get(fileOf(suite));
            if (f && !parallel) {
                f.ms = Date.now() - f.start;
            }
        });
        runner.on(EVENT_TEST_END, (test) => {
            const file = fileOf(test);
            if (file && parallel) {
                const f = files.get(file) ?? { start: 0, ms: 0 };
                f.ms += test.duration ?? 0;
                files.set(file, f);
            }
        });
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats;
            const rows = [...files.entries()].filter(([, f]) => f.ms >= 1000).sort((a, b) => b[1].ms - a[1].ms);
            if (rows.length > 0) {
                const root = process.cwd() + "/";
                process.stdout.write(`\n${parallel ? "tests' own time per file (parallel run)" : "wall time per file"}, files over 1 s:\n`);
                for (const [file, f] of rows) {
                    process.stdout.write(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(root, "")}\n`);
                }
            }
            process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
        });
    }
}

module.exports = SummaryReporter;
