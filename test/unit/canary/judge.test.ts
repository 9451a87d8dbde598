import { strict as assert } from "node:assert";
import { holm, judge, mannWhitneyPValue, proportionPValue } from "../../../src/canary/judge";
import { simulator } from "../../support/simulate";

const runs = 200;

function rate(seed: number, base: Parameters<ReturnType<typeof simulator>>[0], canary: Parameters<ReturnType<typeof simulator>>[0]) {
    let failed = 0;
    for (let i = 0; i < runs; i++) {
        const sim = simulator(seed + i);
        if (judge(sim(base), sim(canary)).verdict === "fail") {
            failed++;
        }
    }
    return failed / runs;
}

describe("canary judge, simulated (200 runs, 2,000 requests a side)", function () {
    this.timeout(120_000);
    const known = { "db timeout": 0.005 };

    it("A/A: identical versions are judged failing in at most 1% of runs", () => {
        const failing = rate(1000, { errors: known }, { errors: known });
        console.log(`      A/A false failures: ${(failing * 100).toFixed(1)}%`);
        assert.ok(failing <= 0.01, `${failing}`);
    });

    it("catches a five-fold error-rate regression (0.5% to 2.5%) in at least 95% of runs", () => {
        const caught = rate(2000, { errors: { "": 0.005 } }, { errors: { "": 0.025 } });
        console.log(`      power, errors 0.5% -> 2.5%: ${(caught * 100).toFixed(1)}%`);
        assert.ok(caught >= 0.95, `${caught}`);
    });

    it("catches a 30% latency regression in at least 95% of runs", () => {
        const caught = rate(3000, { medianMs: 20 }, { medianMs: 26 });
        console.log(`      power, latency +30%: ${(caught * 100).toFixed(1)}%`);
        assert.ok(caught >= 0.95, `${caught}`);
    });

    it("passes a canary that shows only the old version's known errors", () => {
        const sim = simulator(7);
        const j = judge(sim({ errors: known }), sim({ errors: known }));
        assert.equal(j.verdict, "pass", JSON.stringify(j.checks));
        assert.ok(!j.checks.some((c) => c.name.startsWith("new-error")));
    });

    it("fails a canary that adds a new error signature at 0.5% of requests, and names it", () => {
        const sim = simulator(8);
        const j = judge(sim({ errors: known }), sim({ errors: { ...known, "null value in column \"channel\"": 0.005 } }));
        assert.equal(j.verdict, "fail");
        const check = j.checks.find((c) => c.name === 'new-error: null value in column "channel"');
        assert.equal(check?.verdict, "fail", JSON.stringify(j.checks));
    });

    it("is inconclusive below the minimum sample size", () => {
        const sim = simulator(9);
        assert.equal(judge(sim({ n: 150 }), sim({ n: 2000 })).verdict, "inconclusive");
    });

    it("fails on the error-rate guardrail whatever the baseline does", () => {
        const sim = simulator(10);
        const j = judge(sim({ errors: { "": 0.08 } }), sim({ errors: { "": 0.08 } }));
        assert.equal(j.checks.find((c) => c.name === "guardrail: error rate")?.verdict, "fail");
        assert.equal(j.verdict, "fail");
    });
});

describe("canary statistics", () => {
    const cases: [string, () => boolean][] = [
        ["equal proportions give p = 0.5", () => Math.abs(proportionPValue(10, 1000, 10, 1000) - 0.5) < 1e-9],
        ["10 vs 50 failures of 2,000 is significant", () => proportionPValue(10, 2000, 50, 2000) < 1e-6],
        ["a canary shifted up by 10 has a tiny Mann-Whitney p", () => mannWhitneyPValue([1, 2, 3, 4, 5, 6, 7, 8], [11, 12, 13, 14, 15, 16, 17, 18]) < 0.001],
        ["a canary shifted down is not significant (one-sided)", () => mannWhitneyPValue([11, 12, 13, 14, 15, 16, 17, 18], [1, 2, 3, 4, 5, 6, 7, 8]) > 0.99],
        ["Holm rejects in order until the first miss", () => JSON.stringify(holm([0.001, 0.02, 0.004], 0.01)) === JSON.stringify([true, false, true])],
    ];
    for (const [name, ok] of cases) {
        it(name, () => assert.ok(ok()));
    }
});
