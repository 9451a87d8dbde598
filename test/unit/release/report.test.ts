import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HookOutcome } from "../../../contract/member";
import { checkOneAtATime, counterProblems, formatReport, formatReportHtml, hookRuns, maxOutOfLoadBalancer, readVerdicts, ReleaseEvent, ReleaseReport, renderTimeline } from "../../../src/release/report";

const cycle = (server: string, t0: number): ReleaseEvent[] =>
    ["drain", "deploy", "reattach"].flatMap((step, i) => [
        { t: t0 + 2 * i, server, step: step as ReleaseEvent["step"], phase: "start" as const },
        { t: t0 + 2 * i + 1, server, step: step as ReleaseEvent["step"], phase: "end" as const },
    ]);

describe("checkOneAtATime", () => {
    const cases: { name: string; events: ReleaseEvent[]; problems: RegExp[] }[] = [
        { name: "two servers in sequence are fine", events: [...cycle("a", 0), ...cycle("b", 10)], problems: [] },
        { name: "a drain while another server is out is a problem", events: [...cycle("a", 0), ...cycle("b", 3)].sort((x, y) => x.t - y.t), problems: [/b drained at \d+ while a was still out/] },
        { name: "deploy before drain is a problem", events: cycle("a", 0).slice(2), problems: [/a: deploy:start at 2 where drain:start was due/] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const problems = checkOneAtATime(c.events);
            assert.equal(problems.length >= c.problems.length, true);
            for (const p of c.problems) {
                assert.ok(problems.some((x) => p.test(x)), `${JSON.stringify(problems)} lacks ${p}`);
            }
            if (c.problems.length === 0) {
                assert.deepEqual(problems, []);
            }
        });
    }
});

describe("maxOutOfLoadBalancer", () => {
    const moves = (...steps: [string, string][]): ReleaseEvent[] =>
        steps.map(([server, key], t) => {
            const [step, phase] = key.split(":") as [ReleaseEvent["step"], ReleaseEvent["phase"]];
            return { t, server, step, phase };
        });
    const cycle = (server: string): [string, string][] => ["drain:start", "drain:end", "deploy:start", "deploy:end", "reattach:start", "reattach:end"].map((k) => [server, k]);
    const cases: { name: string; events: ReleaseEvent[]; max: number }[] = [
        { name: "no events: none out", events: [], max: 0 },
        { name: "one at a time: 1", events: moves(...cycle("web-1"), ...cycle("web-2")), max: 1 },
        {
            name: "two in parallel, then a third: 2",
            events: moves(["web-1", "drain:start"], ["web-2", "drain:start"], ["web-1", "drain:end"], ["web-2", "drain:end"], ["web-1", "reattach:end"], ["web-2", "reattach:end"], ...cycle("web-3")),
            max: 2,
        },
        { name: "a drain before the previous server's reattach ended: 2", events: moves(["web-1", "drain:start"], ["web-1", "reattach:start"], ["web-2", "drain:start"], ["web-1", "reattach:end"]), max: 2 },
        { name: "a server that never came back stays out", events: moves(["web-1", "drain:start"], ...cycle("web-2")), max: 2 },
    ];
    for (const c of cases) {
        it(c.name, () => assert.equal(maxOutOfLoadBalancer(c.events), c.max));
    }
});

describe("hook runs in the release report", () => {
    const smoke = (durationMs: number, exitCode: number | null = 0): HookOutcome => ({
        hook: "beforeAllowTraffic",
        command: ["node", "smoke.js", "9101", "v2"],
        exitCode,
        durationMs,
        outputTail: "GET /products 200\nsmoke <ok> & done\n",
    });
    const after = (durationMs: number): HookOutcome => ({ hook: "afterAllowTraffic", command: ["node", "-e", "console.log('after')"], exitCode: 0, durationMs, outputTail: "after\n" });
    const server = (name: string, version: string, hooks?: HookOutcome[]) => ({ name, version, inLoadBalancer: true, ...(hooks ? { hooks } : {}) });
    const stage = (name: string, servers: ReturnType<typeof server>[]) => ({ name, config: {}, ok: true, durationMs: 4200, servers });
    const report: ReleaseReport = {
        startedAt: Date.UTC(2026, 10, 27, 12),
        stages: [
            stage("first up", [server("web-1", "v1", [smoke(810), after(40)]), server("web-2", "v1", [smoke(790), after(45)])]),
            stage("canary 1", [server("web-1", "v2", [smoke(700), after(50)]), server("web-2", "v1", [smoke(790), after(45)])]),
            stage("canary 2", [server("web-1", "v2", [smoke(700), after(50)]), server("web-2", "v2", [smoke(650, 3)])]),
            stage("no hooks", [server("web-1", "v2"), server("web-2", "v2")]),
        ],
        traffic: { requests: 10, failed: 0, byVersion: {}, failures: [] },
        events: [],
    };

    it("lists each run once, in the stage whose up ran it (a server that did not move repeats its last results)", () => {
        assert.deepEqual(hookRuns(report).map((h) => [h.stage, h.server, h.version, h.hook, h.exitCode, h.durationMs]), [
            ["first up", "web-1", "v1", "beforeAllowTraffic", 0, 810],
            ["first up", "web-1", "v1", "afterAllowTraffic", 0, 40],
            ["first up", "web-2", "v1", "beforeAllowTraffic", 0, 790],
            ["first up", "web-2", "v1", "afterAllowTraffic", 0, 45],
            ["canary 1", "web-1", "v2", "beforeAllowTraffic", 0, 700],
            ["canary 1", "web-1", "v2", "afterAllowTraffic", 0, 50],
            ["canary 2", "web-2", "v2", "beforeAllowTraffic", 3, 650],
        ]);
    });

    it("shows command, result, duration and the output's last lines in the text report", () => {
        const text = formatReport(report);
        assert.match(text, /hooks \(7 runs\):/);
        assert.match(text, /canary 2 +web-2 +v2 +beforeAllowTraffic +exit 3 +0\.7 s  node smoke\.js 9101 v2\n {6}\| GET \/products 200\n {6}\| smoke <ok> & done/);
    });

    it("puts them in the HTML report with the output escaped", async () => {
        const html = await formatReportHtml(report);
        assert.match(html, /<td>canary 2<\/td><td>web-2<\/td><td>v2<\/td><td>beforeAllowTraffic<\/td><td>exit 3<\/td><td>0\.7<\/td><td><code>node smoke\.js 9101 v2<\/code><\/td><td><pre>GET \/products 200\nsmoke &#60;ok&#62; &#38; done\n<\/pre><\/td>/);
        assert.ok(!html.includes("<ok>"), "the hook's output is not markup");
    });

    it("says when no hook ran", async () => {
        const none = { ...report, stages: [report.stages[3]] };
        assert.deepEqual(hookRuns(none), []);
        assert.doesNotMatch(formatReport(none), /hooks \(/);
        assert.match(await formatReportHtml(none), /<p>no hook ran<\/p>/);
    });
});

describe("HAProxy's per-server counters in the release report", () => {
    const base: ReleaseReport = { startedAt: Date.UTC(2026, 11, 7, 18), stages: [], traffic: { requests: 900, failed: 0, byVersion: {}, failures: [] }, events: [] };
    const zero = { wretr: 0, wredis: 0, econ: 0, eresp: 0 };
    const counted: ReleaseReport = { ...base, haproxy: { servers: { "web-2": { ...zero, stot: 410 }, "web-1": { ...zero, wredis: 2, stot: 390 } }, workers: [11, 12], statuses: {}, readings: 240 } };

    it("names a server that retried, redispatched or failed a connection or a response, and none when all are 0", () => {
        assert.deepEqual(counterProblems(counted), ["web-1: 0 retries, 2 redispatches, 0 connection errors, 0 response errors"]);
        assert.deepEqual(counterProblems({ ...counted, haproxy: { ...counted.haproxy!, servers: { "web-1": { ...zero, stot: 5 } } } }), []);
        assert.deepEqual(counterProblems(base), []);
    });

    it("prints each server's counters beside the traffic, in server order, and nothing when they were not read", async () => {
        const text = formatReport(counted);
        assert.match(text, /HAProxy per server \(240 readings of every worker, 2 workers\):\nserver +sessions +retries +redispatches +conn errors +resp errors\nweb-1 +390 +0 +2 +0 +0\nweb-2 +410 +0 +0 +0 +0/);
        assert.doesNotMatch(formatReport(base), /HAProxy per server/);
        const html = await formatReportHtml(counted);
        assert.match(html, /<h3>HAProxy per server<\/h3>/);
        assert.match(html, /<td>web-1<\/td><td>390<\/td><td>0<\/td><td><b class="fail">2<\/b><\/td>/);
        assert.doesNotMatch(await formatReportHtml(base), /HAProxy per server/);
    });
});

describe("the release report's timeline", () => {
    const t0 = Date.UTC(2026, 11, 7, 2);
    const second = (k: number, version: string, requests: number, failed = 0) => ({ t: t0 + k * 1000, version, requests, failed, ...(requests > failed ? { latencyMs: { p50: 5, p99: 40 + k } } : {}) });
    const report: ReleaseReport = {
        startedAt: t0,
        stages: [
            { name: "v1 everywhere", config: {}, ok: true, durationMs: 9000, startedAt: t0 - 10_000, servers: [] },
            { name: "canary 1", config: {}, ok: false, error: "canary web-1 (v2) failed", durationMs: 8000, startedAt: t0 + 1000, servers: [] },
        ],
        traffic: {
            requests: 1000,
            failed: 3,
            byVersion: {},
            failures: [],
            timeline: [second(0, "v1", 200), second(1, "v1", 200), second(2, "v1", 130), second(2, "v2", 67, 3), second(3, "v1", 133), second(3, "v2", 67), second(3, "none", 1, 1)],
        },
        events: ["drain", "deploy", "reattach"].flatMap((step, i) => [
            { t: t0 + 1200 + i * 300, server: "web-1", step: step as ReleaseEvent["step"], phase: "start" as const },
            { t: t0 + 1300 + i * 300, server: "web-1", step: step as ReleaseEvent["step"], phase: "end" as const },
        ]),
        verdicts: [{ canary: "web-1", version: "v2", verdict: "fail", from: t0 + 2000, to: t0 + 3900, page: "local/demo/judgements/web-1-v2.html", metrics: [{ name: "memory", verdict: "fail" }, { name: "cpu-per-request", verdict: "pass" }] }],
    };

    it("draws requests/s, failures and p99 per version, the server's moves, the stages and the bake with its verdict", async () => {
        const svg = await renderTimeline(report);
        for (const title of ["Requests per second by the version that answered", "Failed requests per second", "4 failed in all", "p99 latency per second", "Each server&#39;s moves and canary bakes"]) {
            assert.ok(svg.includes(title) || svg.includes(title.replace("&#39;", "'")), title);
        }
        assert.match(svg, /canary 1 \(FAILED\)/, "the stage that started after the load, named at its start");
        assert.doesNotMatch(svg, /v1 everywhere/, "a stage before the load is not on its axis");
        for (const legend of ["v1", "v2", "none", "drain", "deploy", "reattach", "bake: fail"]) {
            assert.match(svg, new RegExp(`<text[^>]*>${legend}</text>`), legend);
        }
        assert.match(svg, /class="mark-rect role-mark[^"]*"[^>]*>(<path[^>]+d="M[^"]+"[^>]*\/?>){7,}/, "a bar for every version's second");
    });

    it("links each verdict to its page in the HTML and each metric check to its chart there, and says when a report has no timeline", async () => {
        const html = await formatReportHtml(report);
        assert.match(html, /<td>web-1<\/td><td>v2<\/td><td><span class="fail">fail<\/span><\/td><td>2\.0 to 3\.9<\/td><td><a href="local\/demo\/judgements\/web-1-v2\.html">/);
        assert.match(html, /<td><a href="local\/demo\/judgements\/web-1-v2\.html#metric-memory">memory<\/a> <span class="fail">fail<\/span>, <a href="local\/demo\/judgements\/web-1-v2\.html#metric-cpu-per-request">cpu-per-request<\/a> <span class="pass">pass<\/span><\/td>/);
        const old = await formatReportHtml({ ...report, traffic: { ...report.traffic, timeline: undefined }, verdicts: undefined });
        assert.match(old, /No timeline: this report was written without per-second traffic/);
        assert.match(old, /no canary was judged/);
    });

    it("reads the judgements of the release (bakes from the load's start), each with its page beside it and its metric checks' verdicts", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-verdicts-"));
        try {
            const record = (name: string, from: number, verdict: string, checks: { name: string; verdict: string }[] = []) => fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ canary: name.split("-v")[0], version: "v2", verdict, from, to: from + 6000, checks }));
            record("web-2-v2", t0 + 30_000, "pass");
            record("web-1-v2", t0 + 2000, "inconclusive", [{ name: "error-rate", verdict: "pass" }, { name: "metric: memory", verdict: "pass" }, { name: "metric: cpu-per-request", verdict: "undecided" }]);
            record("web-3-v2", t0 - 60_000, "fail");
            fs.writeFileSync(path.join(dir, "web-1-v2.html"), "");
            // the metric evidence beside a judgement is not a judgement
            fs.writeFileSync(path.join(dir, "web-1-v2.metrics.json"), JSON.stringify({ prometheus: "http://127.0.0.1:9090", checks: [] }));
            assert.deepEqual(readVerdicts(dir, t0, path.dirname(dir)), [
                { canary: "web-1", version: "v2", verdict: "inconclusive", from: t0 + 2000, to: t0 + 8000, page: `${path.basename(dir)}/web-1-v2.html`, metrics: [{ name: "memory", verdict: "pass" }, { name: "cpu-per-request", verdict: "undecided" }] },
                { canary: "web-2", version: "v2", verdict: "pass", from: t0 + 30_000, to: t0 + 36_000 },
            ]);
            assert.deepEqual(readVerdicts(path.join(dir, "missing"), t0, dir), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
