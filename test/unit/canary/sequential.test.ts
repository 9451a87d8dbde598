import { strict as assert } from "node:assert";
import mt19937 from "@stdlib/random-base-mt19937";
import { baselineNoise, BettingSequence, LatencySequence, MatchedSet, MatchedSets, OddsSequence, rankShare, RateSequence, setScore } from "../../../src/canary/sequential";

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

    describe("the fail side's mixture centred on a regression (regressionPrior)", () => {
        const regression = OddsSequence.regressionPrior(4, 0.7);
        /** Sets of 1 + m with the baseline's rate p and the canary's odds psi times the baseline's. */
        const sets = (seed: number, psi: number, p: (i: number) => number, n: number, m: (u: () => number) => number, look: (s: OddsSequence, event: boolean) => boolean): number => {
            const u = uniform(seed);
            const s = new OddsSequence();
            for (let i = 0; i < n; i++) {
                const pb = p(i);
                const pc = (psi * pb) / (1 - pb + psi * pb);
                const k = m(u);
                let off = 0;
                for (let j = 0; j < k; j++) {
                    off += u() < pb ? 1 : 0;
                }
                const on = u() < pc;
                s.add(on, off, k);
                if (look(s, on || off > 0)) {
                    return i + 1;
                }
            }
            return Infinity;
        };

        it("is the sequential probability ratio test when the prior is one point (closed form): log LR(psi = e^2) against psi = 1", () => {
            const point = OddsSequence.grid.x.map((x) => (Math.abs(x - 2) < 1e-9 ? 0 : -Infinity));
            const s = new OddsSequence();
            [[true, 0, 3], [false, 1, 3], [true, 2, 3], [false, 1, 1], [true, 0, 9]].forEach(([on, off, m]) => s.add(on as boolean, off as number, m as number));
            // by hand: e^2 = 7.389; sets (T=1, m=3, on): log(7.389/(7.389+3)) - log(1/4); (T=1, m=3, off): log(3/10.389) - log(3/4);
            // (T=3, m=3, on): C(3,2)=3, C(3,3)=1: log(3*7.389/(3*7.389+1)) - log(3/4); (T=1, m=1, off): log(1/8.389) - log(1/2); (T=1, m=9, on): log(7.389/16.389) - log(1/10)
            const e = Math.exp(2);
            const byHand = Math.log(e / (e + 3) / 0.25) + Math.log(3 / (e + 3) / 0.75) + Math.log((3 * e) / (3 * e + 1) / 0.75) + Math.log(1 / (e + 1) / 0.5) + Math.log(e / (e + 9) / 0.1);
            assert.ok(Math.abs(s.logOneSided(1, 1, point) - byHand) < 1e-9, `${s.logOneSided(1, 1, point)} vs ${byHand}`);
            assert.ok(Math.abs(s.logOneSided(1, 1, point) - (s.logLik(2) - s.logLik(0))) < 1e-9);
        });

        // Ville's inequality again: a mixture of likelihood ratios against psi = 1 over any prior on psi > 1 is a
        // test supermartingale for every psi <= 1, whatever the baseline's rate does.
        for (const psi of [1, 0.7]) {
            it(`crosses 1/alpha in at most alpha of runs when psi = ${psi} (in the null), looked at after every set, with bursts on every server`, () => {
                const alpha = 0.05;
                const runs = 400;
                let crossed = 0;
                for (let run = 0; run < runs; run++) {
                    const at = sets(3000 + run, psi, (i) => (i % 500 < 100 ? 0.2 : 0.01), 2000, (u) => 1 + Math.floor(u() * 4), (s, event) => event && s.above(1, alpha, regression));
                    crossed += at < Infinity ? 1 : 0;
                }
                console.log(`      psi = ${psi}: crossings at alpha 5%: ${((crossed / runs) * 100).toFixed(1)}%`);
                assert.ok(crossed / runs <= alpha, `${crossed} of ${runs}`);
            });
        }

        it("catches a 5x regression (0.5% -> 2.5%, sets of 1 + 3) sooner than the wide prior, at the same level: fewer sets at the median and p90", () => {
            const alpha = 0.01;
            const runs = 300;
            const crossings = (prior?: readonly number[]) => {
                const at = Array.from({ length: runs }, (_, run) => sets(7000 + run, 0.025 / 0.975 / (0.005 / 0.995), () => 0.005, 3000, () => 3, (s, event) => event && s.above(1, alpha, prior))).sort((a, b) => a - b);
                return { median: at[runs / 2], p90: at[Math.floor(runs * 0.9)], byThousand: at.filter((x) => x <= 1000).length / runs };
            };
            const wide = crossings();
            const centred = crossings(regression);
            const show = (c: typeof wide) => `${c.median}/${c.p90} sets, ${(c.byThousand * 100).toFixed(1)}% by 1,000`;
            console.log(`      at alpha 1%: wide prior ${show(wide)}; centred on 4x ${show(centred)}`);
            assert.ok(centred.median < wide.median && centred.p90 < wide.p90, `${show(centred)} vs ${show(wide)}`);
        });
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
                s.add(2 * (rankShare(ms(), [ms(), ms(), ms()]) - 0.5));
                if (s.logEvidence() >= Math.log(1 / alpha)) {
                    crossed++;
                    break;
                }
            }
        }
        assert.ok(crossed / 400 <= alpha, `${crossed}`);
    });
});

describe("betting mixture", () => {
    it("is the weighted mean of prod(1 + lambda*x) over its lambdas, weights proportional to lambda (closed form)", () => {
        const s = new BettingSequence(1);
        const xs = [0.5, -0.25, 1];
        xs.forEach((x) => s.add(x));
        const ls = BettingSequence.lambdas;
        const total = ls.reduce((a, l) => a + l, 0);
        const expected = ls.reduce((a, l) => a + (l / total) * xs.reduce((w, x) => w * (1 + l * x), 1), 0);
        assert.ok(Math.abs(s.logEvidence() - Math.log(expected)) < 1e-12);
    });

    it("betting the other way is the same mixture on -x", () => {
        const a = new BettingSequence(-1);
        const b = new BettingSequence(1);
        [0.3, -0.7, 0.1].forEach((x) => {
            a.add(x);
            b.add(-x);
        });
        assert.equal(a.logEvidence(), b.logEvidence());
    });
});

describe("within-set latency score", () => {
    it("worked example: canary 30 ms against 20, 20, 20 ms at scale 0.5 scores (0.811 - 0.203) * 4/6 = 0.405", () => {
        assert.ok(Math.abs(setScore(30, [20, 20, 20], 0.5) - ((Math.log(1.5) / 0.5) * (3 / 4) * (4 / 6))) < 1e-12);
    });

    const cases: [string, number, number[], number][] = [
        ["a canary like its set scores 0", 20, [20, 20, 20], 0],
        ["the slowest, clipped, against a tight set scores 3/4 * 4/6 = 0.5", 1000, [20, 20, 20], 0.5],
        ["the fastest, clipped", 1, [20, 20, 20], -0.5],
        ["a set of two: clipped both ways is the full range", 1000, [1], 1],
    ];
    for (const [name, c, b, score] of cases) {
        it(name, () => assert.ok(Math.abs(setScore(c, b, 0.5) - score) < 1e-12, `${setScore(c, b, 0.5)}`));
    }

    it("sums to 0 over the members' places: mean 0 whenever the canary is any member with equal chance", () => {
        const u = uniform(31);
        for (let k = 0; k < 200; k++) {
            const size = 2 + Math.floor(u() * 9);
            const ms = Array.from({ length: size }, () => Math.round(5 + 40 * u() ** 3));
            const total = ms.reduce((s, _, i) => s + setScore(ms[i], [...ms.slice(0, i), ...ms.slice(i + 1)], 0.1 + u()), 0);
            // one scale for all places: re-draw it once per set
            const scale = 0.1 + u();
            const exact = ms.reduce((s, _, i) => s + setScore(ms[i], [...ms.slice(0, i), ...ms.slice(i + 1)], scale), 0);
            assert.ok(Math.abs(exact) < 1e-9, `${ms}: ${exact}`);
            assert.ok(Number.isFinite(total));
        }
    });

    it("grows with the canary's latency (a valid test of 'no slower', not only of 'the same')", () => {
        const b = [12, 20, 31];
        let last = -Infinity;
        for (let c = 1; c <= 200; c++) {
            const x = setScore(c, b, 0.4);
            assert.ok(x >= last - 1e-12, `${c}`);
            assert.ok(Math.abs(x) <= 1);
            last = x;
        }
    });

    // Ville's inequality by simulation: canary and baseline from one whole-ms lognormal whose
    // median moves for every server at once (a slow database), at 1:1, 1:3 and 1:9. A betting
    // martingale moving in small steps crosses 1/alpha in nearly alpha of runs (4.2% at 1:3 in
    // 3,000 runs), so the bound allows the simulation's own noise: alpha plus 2.33 standard errors.
    const withinAlpha = (crossed: number, runs: number, alpha: number) => crossed <= alpha * runs + 2.33 * Math.sqrt(runs * alpha * (1 - alpha));
    for (const m of [1, 3, 9]) {
        it(`its 'slower' e-process crosses 1/alpha in at most alpha of A/A runs at 1:${m} (up to simulation noise), looked at after every set, while the latency moves for all servers`, () => {
            const alpha = 0.05;
            const runs = 300;
            let crossed = 0;
            for (let run = 0; run < runs; run++) {
                const u = uniform(40_000 + 1000 * m + run);
                const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
                const s = new LatencySequence(0.1, 0, false, 0);
                for (let i = 0; i < 600; i++) {
                    const median = i % 200 < 50 ? 60 : 20;
                    const ms = () => Math.round(median * Math.exp(0.5 * normal()));
                    s.add(ms(), Array.from({ length: m }, ms));
                    if (s.slower.logEvidence() >= Math.log(1 / alpha)) {
                        crossed++;
                        break;
                    }
                }
            }
            assert.ok(withinAlpha(crossed, runs, alpha), `${crossed} of ${runs}`);
        });
    }

    /** Feeds `sets` sets of 1 canary + 3 baseline requests (20 ms lognormal, whole ms) to judgeSlower; the set at which it failed, or undefined. */
    const judgeRun = (seed: number, canaryFactor: (i: number) => number, sets: number, alpha: number, margin = 0.05, floorMs = 2) => {
        const u = uniform(seed);
        const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
        const ms = (f: number) => Math.round(20 * f * Math.exp(0.5 * normal()));
        const s = new LatencySequence(0.1, margin, false, floorMs);
        for (let i = 0; i < sets; i++) {
            s.add(ms(canaryFactor(i)), [ms(1), ms(1), ms(1)]);
            if (s.judgeSlower(Math.log(1 / alpha), 72, 1) === "fail") {
                return { failedAt: i + 1, restarts: s.restarts };
            }
        }
        return { failedAt: undefined, restarts: s.restarts };
    };

    it("judgeSlower fails within alpha in A/A (up to simulation noise): a failure needs the first start's crossing, the transient and margin rules only take failures away", () => {
        const alpha = 0.05;
        const runs = 300;
        const failed = Array.from({ length: runs }, (_, run) => judgeRun(60_000 + run, () => 1, 600, alpha, 0, 0)).filter((r) => r.failedAt !== undefined).length;
        assert.ok(withinAlpha(failed, runs, alpha), `${failed} of ${runs}`);
    });

    it("judgeSlower tells a cold start from a regression: 3x slow decaying in 30 requests starts afresh and is not failed in 300 runs; a steady +30% fails within 500 sets in at least 95% of runs", () => {
        const cold = Array.from({ length: 300 }, (_, run) => judgeRun(70_000 + run, (i) => 1 + 2 * Math.exp(-i / 30), 1000, 0.0015));
        assert.equal(cold.filter((r) => r.failedAt !== undefined).length, 0, JSON.stringify(cold.filter((r) => r.failedAt !== undefined)));
        assert.ok(cold.filter((r) => r.restarts > 0).length >= 270, `${cold.filter((r) => r.restarts > 0).length} of 300 started afresh`);
        const steady = Array.from({ length: 100 }, (_, run) => judgeRun(80_000 + run, () => 1.3, 500, 0.0015));
        assert.ok(steady.filter((r) => r.failedAt !== undefined).length >= 95, JSON.stringify(steady.map((r) => r.failedAt)));
    });

    it("fails a +30% canary at 1:3 within 300 sets in at least 95% of runs (no margin, no floor)", () => {
        let caught = 0;
        for (let run = 0; run < 100; run++) {
            const u = uniform(80_000 + run);
            const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
            const ms = (f: number) => Math.round(20 * f * Math.exp(0.5 * normal()));
            const s = new LatencySequence(0.1, 0, false, 0);
            for (let i = 0; i < 300; i++) {
                s.add(ms(1.3), [ms(1), ms(1), ms(1)]);
                if (s.slower.logEvidence() >= Math.log(1 / 0.0015)) {
                    caught++;
                    break;
                }
            }
        }
        assert.ok(caught >= 95, `${caught}`);
    });

    it("a pause is not a version: a canary 3x slow for 0.8 s (80 sets at 100 a second) then as fast as the baseline fails without a 2 s span and not with it", () => {
        const run = (minWindowMs: number) => {
            const u = uniform(95_000);
            const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
            const ms = (f: number) => Math.round(3 * f * Math.exp(0.3 * normal()));
            const s = new LatencySequence(0.1, 0.05, false, 2);
            for (let i = 0; i < 3000; i++) {
                s.add(ms(i < 80 ? 3 : 1), [ms(1), ms(1), ms(1)], i * 10);
                if (s.judgeSlower(Math.log(1 / 0.0015), 72, 1, minWindowMs) === "fail") {
                    return i + 1;
                }
            }
            return undefined;
        };
        assert.ok(run(0) !== undefined);
        assert.equal(run(2000), undefined);
    });

    it("a slowness must stand: a canary 3x slow for 1.5 s after 5.5 s of comparison (the newest third covers it) fails without standMs and not with 3 s; a steady +30% fails with it, 3 s or a little more later", () => {
        const run = (f: (i: number) => number, standMs: number) => {
            const u = uniform(96_000);
            const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
            const ms = (x: number) => Math.round(10 * x * Math.exp(0.4 * normal()));
            const s = new LatencySequence(0.1, 0.05, false, 2);
            for (let i = 0; i < 3000; i++) {
                s.add(ms(f(i)), [ms(1)], i * 20);
                if (s.judgeSlower(Math.log(1 / 0.0015), 72, 1, 5000, standMs) === "fail") {
                    return { at: i * 20, fallen: s.fallen };
                }
            }
            return { at: undefined, fallen: s.fallen };
        };
        const pause = (i: number) => (i >= 275 && i < 350 ? 3 : 1);
        assert.ok(run(pause, 0).at !== undefined);
        assert.deepEqual(run(pause, 3000), { at: undefined, fallen: 1 });
        const steady = [run(() => 1.3, 0).at, run(() => 1.3, 3000).at];
        assert.ok(steady[0] !== undefined && steady[1] !== undefined && steady[1] >= steady[0] + 3000 && steady[1] <= steady[0] + 6000, JSON.stringify(steady));
    });

    it("needs the floor as well: a canary 1 ms slower on a 3-4 ms service for 3,000 sets is not failed with a 2 ms floor, and is without it", () => {
        const run = (floorMs: number) => {
            const u = uniform(90_000);
            const ms = (extra: number) => 3 + (u() < 0.5 ? 1 : 0) + extra;
            const s = new LatencySequence(0.1, 0.05, false, floorMs);
            for (let i = 0; i < 3000; i++) {
                s.add(ms(1), [ms(0), ms(0), ms(0)]);
                if (s.judgeSlower(Math.log(1 / 0.0015), 72, 1) === "fail") {
                    return i + 1;
                }
            }
            return undefined;
        };
        assert.equal(run(2), undefined);
        assert.ok((run(0) ?? Infinity) < 200, `${run(0)}`);
    });

    it("the floor and the margin count as the larger of the two, not their sum: 40 ms against 36 ms is beyond max(+10%, +1 ms) (39.6) and fails; 39 ms is within and does not", () => {
        const judged = (canaryMs: number) => {
            const s = new LatencySequence(0.5, 0.1, false, 1);
            const verdicts = Array.from({ length: 200 }, () => {
                s.add(canaryMs, [36, 36, 36]);
                return s.judgeSlower(Math.log(1 / 0.0015), 72, 1);
            });
            return verdicts.includes("fail");
        };
        assert.equal(judged(40), true);
        assert.equal(judged(39), false);
    });
});

describe("the latency floor relative to the service's own noise (issue 24, session 10)", () => {
    it("measures the baseline's noise as the worked example says: 5, 6, 5, 4, 5 ms give sigma 0.21", () => {
        const logs = [5, 6, 5, 4, 5].map(Math.log);
        const diffs = logs.slice(1).map((y, i) => Math.abs(y - logs[i]));
        assert.ok(Math.abs((baselineNoise(diffs) as number) - 0.21) < 0.005, `${baselineNoise(diffs)}`);
        assert.equal(baselineNoise([]), undefined);
    });

    /**
     * A stream of 1:1 sets at 100 a second (a canary and its fresh baseline), whole-ms lognormal
     * latency of sd `sigma` around `ms`, the canary `factor` times slower, judged as the judge does
     * (72 sets and 5 s, a fall of 1 standard error, 3 s to stand, latency's level 0.15%) for 60 s:
     * the second at which it failed, or undefined.
     */
    const failsAt = (seed: number, ms: number, sigma: number, factor: number, o: { noiseFloor: number; floorMs: number }) => {
        const u = uniform(seed);
        const normal = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
        const draw = (f: number) => Math.max(1, Math.round(ms * f * Math.exp(sigma * normal())));
        const s = new LatencySequence(0.1, 0.05, false, o.floorMs, true, o.noiseFloor);
        for (let i = 0; i < 6000; i++) {
            s.add(draw(factor), [draw(1)], i * 10, i % 2 === 0 ? "GET /products" : "POST /orders");
            if (s.judgeSlower(Math.log(1 / 0.0015), 72, 1, 5000, 3000) === "fail") {
                return (i * 10) / 1000;
            }
        }
        return undefined;
    };
    const noise = { noiseFloor: 0.35, floorMs: 0 };
    const fixed2ms = { noiseFloor: 0, floorMs: 2 };
    const none = { noiseFloor: 0, floorMs: 0 };
    const rows: { name: string; ms: number; sigma: number; factor: number; floor: { noiseFloor: number; floorMs: number }; fails: number }[] = [
        { name: "a fast, steady service (5 ms, sigma 0.15) +30%: fails with the noise floor (about +5%)", ms: 5, sigma: 0.15, factor: 1.3, floor: noise, fails: 10 },
        { name: "... and not with the fixed 2 ms floor (+30% is 1.5 ms)", ms: 5, sigma: 0.15, factor: 1.3, floor: fixed2ms, fails: 0 },
        { name: "a fast, steady service +4% (inside the +5% margin): never fails", ms: 5, sigma: 0.15, factor: 1.04, floor: noise, fails: 0 },
        { name: "a noisy service (5 ms, sigma 0.6): a canary +15%, inside its noise (floor about +23%), does not fail", ms: 5, sigma: 0.6, factor: 1.15, floor: noise, fails: 0 },
        { name: "... and fails without a floor", ms: 5, sigma: 0.6, factor: 1.15, floor: none, fails: 10 },
        { name: "a noisy service twice as slow fails", ms: 5, sigma: 0.6, factor: 2, floor: noise, fails: 10 },
        { name: "a 20 ms service (sigma 0.3) +30% fails (floor about +11%)", ms: 20, sigma: 0.3, factor: 1.3, floor: noise, fails: 10 },
    ];
    for (const r of rows) {
        it(`${r.name}: ${r.fails} of 10 streams fail within 60 s`, () => {
            const at = Array.from({ length: 10 }, (_, k) => failsAt(97_000 + 100 * k, r.ms, r.sigma, r.factor, r.floor));
            assert.equal(at.filter((x) => x !== undefined).length, r.fails, JSON.stringify(at));
        });
    }

    it("the floor is blind to the canary: a canary far noisier than its steady baseline keeps the baseline's small floor", () => {
        const s = new LatencySequence(0.1, 0.05, false, 0, true, 0.35);
        const u = uniform(98_000);
        for (let i = 0; i < 400; i++) {
            s.add(u() < 0.5 ? 2 : 40, [5 + (i % 2)], i * 10);
        }
        // successive baseline requests 5, 6, 5, 6 ms: sigma = log(6/5) / 0.954 = 0.19, the floor exp(0.35 x 0.19) - 1 = +6.9%
        assert.ok(Math.abs(s.noiseShare() - 0.069) < 0.005, `${s.noiseShare()}`);
    });
});
