import { strict as assert } from "node:assert";
import mt19937 from "@stdlib/random-base-mt19937";
import { BettingSequence, MatchedSet, MatchedSets, OddsSequence, rankShare, RateSequence } from "../../../src/canary/sequential";

const uniform = (seed: number) => {
    const rng = mt19937.factory({ seed });
    return () => (rng as unknown as { normalized(): number }).normalized();
};

describe("matched sets", () => {
    type R = { t: number; id: string };
    const cases: { name: string; events: ["c" | "b", number, string][]; sets: string[] }[] = [
        {
            name: "a canary request takes the next baseline requests, m from the split so far",
            // b1 b2 b3 come first: the first canary sees 3 baseline requests for 1 canary: m = 3
            events: [["b", 0, "b1"], ["b", 1, "b2"], ["b", 2, "b3"], ["c", 3, "c1"], ["b", 4, "b4"], ["b", 5, "b5"], ["b", 6, "b6"]],
            sets: ["c1:b3,b2,b1"],
        },
        {
            name: "a canary waits for baseline requests that come after it",
            events: [["b", 0, "b1"], ["c", 1, "c1"], ["c", 2, "c2"], ["b", 3, "b2"], ["b", 4, "b3"]],
            sets: ["c1:b1", "c2:b2"],
        },
        {
            name: "baseline requests too far from the canary are not matched",
            events: [["b", 0, "b1"], ["c", 20_000, "c1"], ["b", 20_001, "b2"]],
            sets: ["c1:b2"],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const sets: MatchedSet<R>[] = [];
            const m = new MatchedSets<R>((s) => sets.push(s));
            for (const [group, t, id] of c.events) {
                if (group === "c") {
                    m.canary({ t, id });
                } else {
                    m.baseline({ t, id });
                }
            }
            assert.deepEqual(
                sets.map((s) => `${s.canary.id}:${s.baseline.map((b) => b.id).join(",")}`),
                c.sets,
            );
        });
    }
});

describe("odds ratio confidence sequence (conditional likelihood of matched sets)", () => {
    it("peaks where the worked example says: 8 of 10 single events on the canary in sets of 1+3 give psi = 12", () => {
        const s = new OddsSequence();
        for (let i = 0; i < 10; i++) {
            s.add(i < 8, i < 8 ? 0 : 1, 3);
        }
        // the conditional MLE: psi/(psi+3) = 0.8
        const at = (psi: number) => s.logLik(Math.log(psi));
        assert.ok(at(12) > at(11.5) && at(12) > at(12.5));
        const ci = s.interval(0.05);
        assert.ok(ci.lower < 12 && ci.upper > 12, JSON.stringify(ci));
        assert.ok(ci.lower > 1, `8 of 10 against a null share of 1/4 is strong evidence: ${JSON.stringify(ci)}`);
    });

    it("sets with no event or only events carry no information", () => {
        const s = new OddsSequence();
        s.add(false, 0, 3);
        s.add(true, 3, 3);
        assert.deepEqual(s.interval(0.05), { lower: 0, upper: Infinity });
    });

    it("a canary request in a set of 1+m holds the event with probability psi*C(m,T-1)/(psi*C(m,T-1)+C(m,T)): T=2 of 1+3 at psi=1 is 1/2", () => {
        const s = new OddsSequence();
        s.add(true, 1, 3);
        // log(1/2): C(3,1)/(C(3,1)+C(3,2)) = 3/6
        assert.ok(Math.abs(s.logLik(0) - Math.log(0.5)) < 1e-12);
    });

    // Ville's inequality, checked by simulation: under the null, the one-sided e-process crosses
    // 1/alpha at some look in at most alpha of runs, whatever the baseline rate does over time.
    it("crosses 1/alpha under equal odds in at most alpha of runs, looked at after every set, with rates that jump", () => {
        const alpha = 0.05;
        const runs = 400;
        let crossed = 0;
        for (let run = 0; run < runs; run++) {
            const u = uniform(100 + run);
            const s = new OddsSequence();
            for (let i = 0; i < 2000; i++) {
                const p = i % 500 < 100 ? 0.2 : 0.01; // bursts on every server
                const m = 1 + Math.floor(u() * 4);
                let off = 0;
                for (let k = 0; k < m; k++) {
                    off += u() < p ? 1 : 0;
                }
                const on = u() < p;
                s.add(on, off, m);
                if ((on || off > 0) && s.above(1, alpha)) {
                    crossed++;
                    break;
                }
            }
        }
        assert.ok(crossed / runs <= alpha, `${crossed} of ${runs}`);
        console.log(`      null crossings at alpha 5%: ${((crossed / runs) * 100).toFixed(1)}%`);
    });

    it("its confidence sequence covers the true odds ratio (2x) at every look in at least 1 - alpha of runs", () => {
        const alpha = 0.1;
        const runs = 200;
        let missed = 0;
        for (let run = 0; run < runs; run++) {
            const u = uniform(900 + run);
            const s = new OddsSequence();
            const pb = 0.05;
            const pc = (2 * pb) / (1 - pb + 2 * pb); // odds twice the baseline's
            for (let i = 0; i < 1500; i++) {
                let off = 0;
                for (let k = 0; k < 3; k++) {
                    off += u() < pb ? 1 : 0;
                }
                const on = u() < pc;
                s.add(on, off, 3);
                if (i % 50 === 49) {
                    const ci = s.interval(alpha);
                    if (ci.lower > 2 || ci.upper < 2) {
                        missed++;
                        break;
                    }
                }
            }
        }
        assert.ok(missed / runs <= alpha, `${missed} of ${runs}`);
    });
});

describe("error rate confidence sequence", () => {
    it("covers the true rate at every look in at least 1 - alpha of runs", () => {
        const alpha = 0.1;
        let missed = 0;
        for (let run = 0; run < 200; run++) {
            const u = uniform(5000 + run);
            const s = new RateSequence();
            for (let i = 0; i < 2000; i++) {
                s.add(u() < 0.02);
                if (i % 100 === 99) {
                    const ci = s.interval(alpha);
                    if (ci.lower > 0.02 || ci.upper < 0.02) {
                        missed++;
                        break;
                    }
                }
            }
        }
        assert.ok(missed / 200 <= alpha, `${missed}`);
    });

    it("with no error in 1,000 requests rules out rates above 1%", () => {
        const s = new RateSequence();
        for (let i = 0; i < 1000; i++) {
            s.add(false);
        }
        const ci = s.interval(0.05);
        assert.equal(ci.lower, 0);
        assert.ok(ci.upper < 0.01 && ci.upper > 0.003, JSON.stringify(ci));
    });
});

describe("sequential rank test", () => {
    const cases: [string, number, number[], number][] = [
        ["above all", 10, [1, 2, 3], 1],
        ["below all", 0, [1, 2, 3], 0],
        ["ties count half", 2, [1, 2, 3], 0.5],
        ["whole-ms ties", 5, [5, 5, 5], 0.5],
    ];
    for (const [name, x, b, share] of cases) {
        it(`rank share: ${name}`, () => assert.equal(rankShare(x, b), share));
    }

    it("crosses 1/alpha when canary and baseline share one distribution in at most alpha of runs", () => {
        const alpha = 0.05;
        let crossed = 0;
        for (let run = 0; run < 400; run++) {
            const u = uniform(7000 + run);
            const s = new BettingSequence(1);
            for (let i = 0; i < 1500; i++) {
                const ms = () => Math.round(20 * Math.exp(0.5 * Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u())));
                s.add(rankShare(ms(), [ms(), ms(), ms()]));
                if (s.logEvidence() >= Math.log(1 / alpha)) {
                    crossed++;
                    break;
                }
            }
        }
        assert.ok(crossed / 400 <= alpha, `${crossed}`);
    });
});
