// Mocha's spec reporter plus a table of the wall time per test file (hooks included) and one
// closing line CI reads: "N passed, N failed, N skipped". Run serially, the reporter times each
// file itself; with --parallel a worker's events arrive in one burst when its file ends, so the
// workers time their files (test/support/file-times.js, a root hook plugin) and write the times
// to a temporary file this reporter names in ZDR_FILE_TIMES before the workers start.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const parallel = typeof runner.isParallelMode === "function" && runner.isParallelMode();
        /** file -> { start, ms } */
        const files = new Map();
        let timesFile;
        if (parallel) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-file-times-"));
            timesFile = path.join(dir, "times.jsonl");
            process.env.ZDR_FILE_TIMES = timesFile;
        }
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
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats;
            if (timesFile) {
                const lines = fs.existsSync(timesFile) ? fs.readFileSync(timesFile, "utf8").split("\n") : [];
                for (const line of lines.filter((l) => l.trim() !== "")) {
                    const { file, ms, cpuMs } = JSON.parse(line);
                    files.set(file, { start: 0, ms, cpuMs });
                }
                fs.rmSync(path.dirname(timesFile), { recursive: true, force: true });
            }
            const rows = [...files.entries()].filter(([, f]) => f.ms >= 1000).sort((a, b) => b[1].ms - a[1].ms);
            if (rows.length > 0) {
                const root = process.cwd() + "/";
                process.stdout.write(`\nwall time per file${parallel ? " (two or more at once; cpu: the worker and the processes it waited for)" : ""}, files over 1 s:\n`);
                for (const [file, f] of rows) {
                    const cpu = f.cpuMs === undefined ? "" : `  cpu ${(f.cpuMs / 1000).toFixed(1).padStart(6)} s`;
                    process.stdout.write(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s${cpu}  ${file.replace(root, "")}\n`);
                }
            }
            process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
        });
    }
}

module.exports = SummaryReporter;
