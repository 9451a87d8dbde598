import { strict as assert } from "node:assert";
import { median, MetricSequence, SignBet, worse } from "../../../src/monitors/sign-sequence";

describe("the metric checks' sequential sign test", () => {
    it("calls a step worse only beyond the tolerance, either way", () => {
        assert.equal(worse(150, 100, "lower", 0.5), false);
        assert.equal(worse(151, 100, "lower", 0.5), true);
        assert.equal(worse(50, 100, "higher", 0.5), false);
        assert.equal(worse(49, 100, "higher", 0.5), true);
        assert.equal(worse(0, 0, "higher", 0.5), false, "no orders on either side is no regression");
        assert.equal(median([3, 1, 2]), 2);
        assert.equal(median([4, 1, 2, 3]), 2.5);
    });

    it("crosses a threshold of 3,000 after 16 worse steps in a row, and after 21 when 6 steps within the tolerance come first (the bets started later)", () => {
        const after = (within: number) => {
            const bet = new SignBet();
            for (let i = 0; i < within; i++) {
                bet.add(false);
            }
            for (let i = 1; i <= 60; i++) {
                bet.add(true);
                if (bet.logEvidence() >= Math.log(3000)) {
                    return i;
                }
            }
            return Infinity;
        };
        assert.equal(after(0), 16);
        assert.equal(after(6), 21);
    });

    it("crosses a threshold of 2,000 after 16 worse steps in a row (worked example: with the start at step 0 weighted 1/2, half the mean of (1 + lambda)^16 over lambda 0.1..0.9 is 2,704 (and the later starts add the rest), at 15 steps 1,478)", () => {
        const bet = new SignBet();
        let crossedAt = 0;
        for (let i = 1; i <= 30 && !crossedAt; i++) {
            bet.add(true);
            if (bet.logEvidence() >= Math.log(2000)) {
                crossedAt = i;
            }
        }
        assert.equal(crossedAt, 16);
    });

    it("keeps its false-failure rate within the level on steps worse half the time, at any look (simulated: 2,000 runs of 200 steps at a level of 5%)", function () {
        this.timeout(60_000);
        // mulberry32: a seeded generator with 32-bit state
        let seed = 7;
        const rand = () => {
            seed = (seed + 0x6d2b79f5) | 0;
            let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
        const level = 0.05;
        let crossed = 0;
        const runs = 2000;
        for (let r = 0; r < runs; r++) {
            const bet = new SignBet();
            for (let i = 0; i < 200; i++) {
                bet.add(rand() < 0.5);
                if (bet.logEvidence() >= Math.log(1 / level)) {
                    crossed++;
                    break;
                }
            }
        }
        assert.ok(crossed / runs <= level, `${crossed} of ${runs} crossed`);
        console.log(`      ${crossed} of ${runs} runs crossed 1/${level}`);
    });

    it("judges each step against the baseline servers' median", () => {
        const seq = new MetricSequence("lower", 0.5);
        assert.equal(seq.add(200, [100, 140, 500]), false, "median 140: up to 210 is within +50%");
        assert.equal(seq.add(200, [100, 120, 500]), true, "median 120: beyond 180");
        assert.equal(seq.fail.ones, 1);
        assert.equal(seq.pass.ones, 1);
    });
});
