import { strict as assert } from "node:assert";
import { CanaryJudge, failWeights, formatJudgement, judge, Judgement, JudgeOptions, WarmupDetector } from "../../../src/canary/judge";
import { requestStream, StreamSpec } from "../../support/canary-stream";

/** Feeds a seeded stream until the judge decides or the canary has served `maxCanary` requests. */
function stream(seed: number, spec: StreamSpec, maxCanary: number, options: JudgeOptions = {}): Judgement {
    const next = requestStream(seed, spec);
    const j = new CanaryJudge({ intervals: false, ...options });
    for (let canary = 0; canary < maxCanary && !j.decision; ) {
        const r = next();
        canary += r.group === "canary" ? 1 : 0;
        j.add(r.group, r.t, r.s);
    }
    return j.judgement(true);
}

function share(runs: number, seed: number, spec: StreamSpec, maxCanary: number, verdict: "fail" | "pass"): number {
    let n = 0;
    for (let i = 0; i < runs; i++) {
        n += stream(seed + i, spec, maxCanary).verdict === verdict ? 1 : 0;
    }
    return n / runs;
}

describe("canary judge on simulated request streams (1:3, whole-ms latency, 0.5% known errors)", function () {
    this.timeout(300_000);

    it("A/A with a 30 s error burst on every server: false failures in at most 1% of 300 runs", () => {
        const failing = share(300, 10_000, { split: 3, burst: { from: 5, seconds: 30, rate: 0.2, signature: "upstream reset" } }, 1000, "fail");
        console.log(`      A/A false failures: ${(failing * 100).toFixed(1)}%`);
        assert.ok(failing <= 0.01, `${failing}`);
    });

    it("fails +30% latency within 1,000 canary requests in at least 95% of runs", () => {
        const caught = share(100, 20_000, { split: 3, canaryFactor: 1.3 }, 1000, "fail");
        assert.ok(caught >= 0.95, `${caught}`);
    });

    it("fails 10% errors within 1,000 canary requests in at least 95% of runs", () => {
        const caught = share(100, 30_000, { split: 3, canaryErrors: { "db timeout": 0.1 } }, 1000, "fail");
        assert.ok(caught >= 0.95, `${caught}`);
    });

    it("fails a tail-only regression (3% of requests 5x slower) that Mann-Whitney misses, within 3,000 canary requests in at least 95% of runs", () => {
        const caught = share(60, 40_000, { split: 3, canaryTail: [0.03, 5] }, 3000, "fail");
        assert.ok(caught >= 0.95, `${caught}`);
    });

    it("fails with few requests when the evidence is overwhelming: no minimum sample", () => {
        const j = stream(5, { split: 3, canaryErrors: { "": 0.6 } }, 1000);
        assert.equal(j.verdict, "fail");
        assert.ok(j.decidedAfter < 40, `${j.decidedAfter}`);
        assert.equal(j.checks.find((c) => c.name === "error-rate")?.verdict, "fail");
    });

    it("fails a new error signature and names it; a known one never counts as new", () => {
        const j = stream(8, { split: 3, canaryErrors: { "db timeout": 0.005, 'null channel': 0.01 } }, 5000);
        assert.equal(j.verdict, "fail");
        const check = j.checks.find((c) => c.name === 'new-error: null channel');
        assert.equal(check?.verdict, "fail", formatJudgement(j));
        assert.ok(check?.crossedAfter !== undefined && check.crossedAfter <= j.decidedAfter);
        assert.ok(!j.checks.some((c) => c.name === "new-error: db timeout" && c.verdict === "fail"));
        assert.match(formatJudgement(j), /new-error: null channel\s+fail\s+[\d.e+-]+\s+\d+ canary requests \([\d.]+%\) failed with an error the baseline never showed/);
    });

    it("passes early once every effect's upper bound is inside its tolerance, and says what it ruled out", () => {
        const j = stream(9, { split: 3, rate: 400, canaryFactor: 0.8, errors: { "db timeout": 0.03 } }, 20_000, { intervals: true });
        assert.equal(j.verdict, "pass", formatJudgement(j));
        assert.ok(j.decidedAfter < 20_000);
        assert.ok(j.ruledOut.some((r) => r.startsWith("error odds above")), j.ruledOut.join());
        assert.ok(j.ruledOut.some((r) => r.startsWith("latency above")), j.ruledOut.join());
    });

    it("an undecided canary at the end is inconclusive, with what was ruled out", () => {
        const j = stream(10, { split: 3, errors: { "db timeout": 0.005 } }, 300, { intervals: true });
        assert.equal(j.verdict, "inconclusive", formatJudgement(j));
        assert.ok(j.ruledOut.length > 0);
        assert.match(formatJudgement(j), /^verdict: inconclusive after 300 canary requests/);
        assert.match(formatJudgement(j), /ruled out: .*latency above \+\d+%/);
    });

    it("does not fail a healthy cold start: the latency check sees its transient fall and starts afresh, the tail check leaves it out as warm-up", () => {
        const runs = Array.from({ length: 20 }, (_, i) => stream(11 + i, { split: 3, coldStart: { excess: 2, requests: 30 } }, 1000));
        for (const j of runs) {
            assert.notEqual(j.verdict, "fail", formatJudgement(j));
            assert.ok(j.warmup >= 32, `${j.warmup}`);
        }
        const restarted = runs.filter((j) => /started afresh/.test(j.checks.find((c) => c.name === "latency")?.detail ?? "")).length;
        assert.ok(restarted >= 18, `${restarted} of 20 started afresh`);
    });

    it("counts a server's pause as one slow episode in the tail check: ten slow canary requests in 400 ms fail it only when counted one by one", () => {
        const run = (options: JudgeOptions) => {
            const j = new CanaryJudge({ intervals: false, tailThresholdMs: 50, ...options });
            for (let i = 0; i < 1000; i++) {
                const t = 10 * i;
                const canary = i % 4 === 3;
                const paused = canary && t >= 4000 && t < 4400;
                j.add(canary ? "canary" : "baseline", t, { status: 200, latencyMs: paused ? 200 : 10 + (i % 3) });
            }
            return j.judgement(true);
        };
        const tail = (j: Judgement) => j.checks.find((c) => c.name === "tail")?.verdict;
        assert.equal(tail(run({ tailEpisodeMs: 0 })), "fail");
        assert.notEqual(tail(run({})), "fail");
        assert.notEqual(run({}).verdict, "fail", formatJudgement(run({})));
    });

    it("tests each check at its level, alpha x failWeights (1 / the level is the threshold the verdict names), new signatures halving", () => {
        const j = stream(13, { split: 3, canaryErrors: { "db timeout": 0.005, "null channel": 0.002, "bad gateway": 0.002 } }, 2000, { alpha: 0.004 });
        const threshold = (name: string) => j.checks.find((c) => c.name === name)?.threshold;
        const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a / b - 1) < 1e-12;
        assert.ok(close(threshold("error-rate"), 1 / (0.004 * failWeights.errors)), formatJudgement(j));
        assert.ok(close(threshold("latency"), 1 / (0.004 * failWeights.latency)));
        assert.ok(close(threshold("tail"), 1 / (0.004 * failWeights.tail)));
        const signatures = j.checks.filter((c) => c.name.startsWith("new-error: ")).map((c) => c.threshold);
        assert.equal(signatures.length, 2, formatJudgement(j));
        assert.ok(close(signatures[0], 2 / (0.004 * failWeights.newErrors)) && close(signatures[1], 4 / (0.004 * failWeights.newErrors)), `${signatures}`);
    });

    it("judge() merges two lists by time and reports counts", () => {
        const next = requestStream(12, { split: 1, canaryErrors: { "": 0.3 } });
        const base: { t: number; status: number; latencyMs: number }[] = [];
        const can: typeof base = [];
        for (let i = 0; i < 2000; i++) {
            const r = next();
            (r.group === "canary" ? can : base).push({ t: r.t, ...r.s });
        }
        const j = judge(base, can);
        assert.equal(j.verdict, "fail");
        assert.ok(j.counts.canary <= can.length && j.counts.baseline <= base.length);
    });
});

describe("a latency failure must stand: a starved moment is not a slower version", function () {
    this.timeout(120_000);

    /**
     * The demo's shape: the canary against its fresh baseline (1:1), 100 requests/s, 10 ms
     * lognormal, for at most 60 s. `starved`: the canary's requests ending from `at` ms for `ms` ms
     * are `factor` times slower (its process given a fraction of a CPU for a moment). The tail
     * check's threshold is out of reach: the latency check alone is judged.
     */
    function run(seed: number, opts: { starved?: { at: number; ms: number; factor: number }; canaryFactor?: number }): Judgement {
        const next = requestStream(seed, { split: 1, rate: 100, medianMs: 10, errors: {}, canaryFactor: opts.canaryFactor ?? 1 });
        const j = new CanaryJudge({ intervals: false, freshBaseline: true, tailThresholdMs: 1000 });
        const p = opts.starved;
        for (let n = 0; n < 6000 && !j.decision; n++) {
            const r = next();
            const slowed = r.group === "canary" && p !== undefined && r.t >= p.at && r.t < p.at + p.ms;
            j.add(r.group === "canary" ? "canary" : "fresh", r.t, { ...r.s, latencyMs: slowed ? Math.round(r.s.latencyMs * p.factor) : r.s.latencyMs });
        }
        return j.judgement(true);
    }
    const latency = (j: Judgement) => j.checks.find((c) => c.name === "latency");

    it("a healthy canary slowed 2x for 2 s, 5.5 s into its bake, is not failed: its slowness does not stand 3 s, and the judgement says so", () => {
        const runs = Array.from({ length: 20 }, (_, i) => run(400 + i, { starved: { at: 5500, ms: 2000, factor: 2 } }));
        for (const j of runs) {
            assert.notEqual(j.verdict, "fail", formatJudgement(j));
        }
        const fallen = runs.filter((j) => /did not stand 3 s/.test(latency(j)?.detail ?? "")).length;
        assert.ok(fallen >= 5, `${fallen} of 20 judgements name a slowness that did not stand`);
    });

    it("a canary +30% slower for good still fails on latency, in each of 20 streams, within 60 s", () => {
        const runs = Array.from({ length: 20 }, (_, i) => run(500 + i, { canaryFactor: 1.3 }));
        for (const j of runs) {
            assert.equal(latency(j)?.verdict, "fail", formatJudgement(j));
        }
    });
});

describe("unique errors decide: a signature the stable servers have not shown that recurs on the canary", function () {
    this.timeout(300_000);

    /** Sets of 1 + m: the canary logs the line once in every 400 of its requests (all succeed: the new-error check alone decides), the baseline never. */
    function recurring(m: number, occurrences: number, options: JudgeOptions = {}): Judgement {
        const j = new CanaryJudge({ intervals: false, tailThresholdMs: 100, ...options });
        let t = 0;
        for (let k = 0; k <= occurrences; k++) {
            for (let i = 0; i < 400; i++) {
                for (let b = 0; b < m; b++) {
                    j.add("baseline", (t += 1), { status: 200, latencyMs: 10 });
                }
                j.add("canary", (t += 1), i === 0 ? { status: 200, latencyMs: 10, signatures: ["log: null channel"] } : { status: 200, latencyMs: 10 });
            }
        }
        return j.judgement(true);
    }

    it("recurs means: fails at the k-th occurrence after the first with (1 + m)^k at least 1 / its level (0.1%): the 5th at 1:3, 7th at 1:2, 10th at 1:1, 3rd at 1:9, none on the stable servers", () => {
        for (const [m, needed] of [[3, 5], [2, 7], [1, 10], [9, 3]]) {
            const name = "new-error: log: null channel";
            assert.equal(recurring(m, needed - 1).checks.find((c) => c.name === name)?.verdict, "undecided", `1:${m}, ${needed - 1} further occurrences`);
            assert.equal(recurring(m, needed).checks.find((c) => c.name === name)?.verdict, "fail", `1:${m}, ${needed} further occurrences`);
        }
    });

    it("a signature seen once is shown, not judged: the check is listed, undecided, and holds the early pass back", () => {
        const j = recurring(3, 0);
        const check = j.checks.find((c) => c.name === "new-error: log: null channel");
        assert.equal(check?.verdict, "undecided");
        assert.notEqual(j.verdict, "pass");
    });

    it("a signature the stable servers showed before the window (knownSignatures, their last minute) is known, never new", () => {
        const j = recurring(3, 20, { knownSignatures: ["log: null channel"] });
        assert.equal(j.checks.some((c) => c.name.startsWith("new-error")), false);
    });

    it("0.5% of 2,000 canary requests failing with a signature the baseline never shows (its known errors in their last minute) fails at least 90 of 100 streams at 1:3", () => {
        let failed = 0;
        for (let i = 0; i < 100; i++) {
            failed += stream(7_300_000 + i, { split: 3, rate: 100, canaryErrors: { "db timeout": 0.005, "null channel": 0.005 } }, 2000, { tailThresholdMs: 60, knownSignatures: ["db timeout"] }).verdict === "fail" ? 1 : 0;
        }
        assert.ok(failed >= 90, `${failed} of 100`);
    });
});

describe("pass means something: absolute tolerances at low rates", function () {
    this.timeout(300_000);

    it("a healthy canary of an app failing 0.5% of requests passes within 6,000 canary requests (60 s at 100 req/s to the canary) in at least 45 of 50 streams at 1:3", () => {
        let passed = 0;
        for (let i = 0; i < 50; i++) {
            passed += stream(8_030_000 + i, { split: 3, rate: 100 }, 6000, { tailThresholdMs: 60, knownSignatures: ["db timeout"] }).verdict === "pass" ? 1 : 0;
        }
        assert.ok(passed >= 45, `${passed} of 50`);
    });

    it("an inconclusive canary says how much more traffic each effect not yet within tolerance needed", () => {
        const j = stream(8_030_000, { split: 3, rate: 100 }, 600, { tailThresholdMs: 60, knownSignatures: ["db timeout"] });
        assert.equal(j.verdict, "inconclusive");
        assert.ok(j.toPass && j.toPass.length > 0, JSON.stringify(j.toPass));
        assert.ok(j.toPass.some((x) => (x.moreCanaryRequests ?? 0) > 0), JSON.stringify(j.toPass));
        assert.match(formatJudgement(j), /to pass it needed: .*about \d+ more canary requests/);
    });

    it("the absolute error tolerance does not pass a canary failing 2 points more than the baseline", () => {
        let passed = 0;
        for (let i = 0; i < 50; i++) {
            passed += stream(8_040_000 + i, { split: 3, rate: 100, canaryErrors: { "db timeout": 0.025 } }, 6000, { tailThresholdMs: 60, knownSignatures: ["db timeout"] }).verdict === "pass" ? 1 : 0;
        }
        assert.equal(passed, 0);
    });
});

describe("warmupSeconds: a warm-up the team knows its app needs", () => {
    /** 1:3 at 100 requests/s; the canary 2.5x slower for its first 8 s (a plateau, as a cold Node app on a busy machine), then the baseline's. */
    function coldPlateau(seed: number, options: JudgeOptions, canaryErrors?: Record<string, number>): Judgement {
        const next = requestStream(seed, { split: 3, ...(canaryErrors ? { canaryErrors } : {}) });
        const j = new CanaryJudge({ intervals: false, ...options });
        let first: number | undefined;
        for (let canary = 0; canary < 1500 && !j.decision; ) {
            const r = next();
            if (r.group === "canary") {
                canary++;
                first ??= r.t;
                const slow = r.t < first + 8000 && r.s.status === 200;
                j.add("canary", r.t, slow ? { ...r.s, latencyMs: Math.round(r.s.latencyMs * 2.5) } : r.s);
            } else {
                j.add("baseline", r.t, r.s);
            }
        }
        return j.judgement(true);
    }

    const failedChecks = (j: Judgement) => j.checks.filter((c) => c.verdict === "fail").map((c) => c.name);

    it("a healthy canary slow for its first 8 s fails on its latency without it (the tail check first: the latency check waits 3 s for a slowness to stand), and is not failed with 10 s", () => {
        const without = [1, 2, 3].map((seed) => coldPlateau(seed, {}));
        assert.ok(without.every((j) => j.verdict === "fail" && failedChecks(j).some((c) => c === "latency" || c === "tail")), JSON.stringify(without.map((j) => [j.verdict, failedChecks(j)])));
        const withWarmup = [1, 2, 3].map((seed) => coldPlateau(seed, { warmupSeconds: 10 }));
        assert.ok(withWarmup.every((j) => j.verdict !== "fail"), JSON.stringify(withWarmup.map((j) => [j.verdict, failedChecks(j)])));
        // the requests of the first 10 s are counted as warm-up (about 250 canary requests at 25/s)
        assert.ok(withWarmup.every((j) => j.warmup >= 200), JSON.stringify(withWarmup.map((j) => j.warmup)));
    });

    it("errors still count from the first request: a canary failing 20% fails within its warm-up", () => {
        const j = coldPlateau(4, { warmupSeconds: 10 }, { "db timeout": 0.2 });
        assert.equal(j.verdict, "fail");
        assert.ok(failedChecks(j).includes("error-rate"), JSON.stringify(failedChecks(j)));
        assert.ok(j.decidedAfter < 250, `decided after ${j.decidedAfter} canary requests, inside the 10 s warm-up`);
    });
});

describe("warm-up detector", () => {
    const cases: [string, number[], boolean][] = [
        ["steady latency is warm after two halves of 24", Array.from({ length: 48 }, (_, i) => 20 + (i % 3)), true],
        ["a steadily slow canary is warm too: slowness is the version's", Array.from({ length: 48 }, (_, i) => 60 + (i % 3)), true],
        ["a falling latency is not warm", Array.from({ length: 48 }, (_, i) => 100 - i), false],
        ["fewer than two halves is not warm yet", Array.from({ length: 40 }, () => 20), false],
    ];
    for (const [name, latencies, warm] of cases) {
        it(name, () => {
            const w = new WarmupDetector(24, 400);
            latencies.forEach((ms, i) => w.add({ status: 200, latencyMs: ms }, i + 1));
            assert.equal(w.warm, warm);
        });
    }
    it("is warm at the latest after the maximum", () => {
        const w = new WarmupDetector(24, 10);
        for (let i = 1; i <= 10; i++) {
            w.add({ status: 200, latencyMs: 100 - i }, i);
        }
        assert.equal(w.warm, true);
    });
});
