// The end-to-end run (`npm run test:e2e`, `npm test`, .ci/run): the root .mocharc.json's settings,
// files in parallel, the longest files first.
//
// Why four at a time on two cores: an end-to-end file waits much of its time (bakes, drains,
// health checks, sshd), so two workers left the cores idle (the reporter's CPU column is well
// under the wall column); at four the cores are busy (vmstat: 2% idle) and the run took 393 s
// instead of about 480 s at two on the idle machine. ZDR_TEST_JOBS overrides it.
//
// Why the longest first: a worker takes the next file in this order when it is free, so a long
// file that starts last alone decides when the run ends (hosts.test.ts, about 4 minutes at four
// jobs). The list is the files over 60 s in that run (batch-failure.test.ts, about 6.5 minutes alone
// under load, added in session 7; hosts-metrics.test.ts, about 8 minutes alone under load, in session 10);
// the others follow in name order.
const fs = require("node:fs");
const path = require("node:path");

const base = JSON.parse(fs.readFileSync(path.join(__dirname, "../../.mocharc.json"), "utf8"));
const longestFirst = ["hosts-metrics", "hosts", "batch-failure", "own-app", "policy", "hosts-app-log", "last-up", "fleet-change", "release", "canary", "canary-app-log"].map((name) => `test/e2e/${name}.test.ts`);

const all = fs.readdirSync(__dirname).filter((f) => f.endsWith(".test.ts")).map((f) => `test/e2e/${f}`).sort();
for (const file of longestFirst) {
    if (!all.includes(file)) {
        throw new Error(`test/e2e/.mocharc.js names ${file}, which does not exist: update its longest-first list`);
    }
}
const jobs = Number(process.env.ZDR_TEST_JOBS ?? 4);
if (!Number.isInteger(jobs) || jobs < 1) {
    throw new Error(`ZDR_TEST_JOBS must be a whole number of at least 1, not ${JSON.stringify(process.env.ZDR_TEST_JOBS)}`);
}

module.exports = {
    ...base,
    parallel: true,
    jobs,
    spec: [...longestFirst, ...all.filter((f) => !longestFirst.includes(f))],
};
