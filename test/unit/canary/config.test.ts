import { strict as assert } from "node:assert";
import { parseCanaryConfig } from "../../../src/canary/config";
import { ConfigError, parseReleaseConfig } from "../../../src/release/config";
import { parseStackConfig } from "../../../src/release/stack-config";

describe("canary config", () => {
    const defaults = { alpha: 0.0165, passAlpha: 0.05, errorOddsTolerance: 1.5, errorRateFloor: 0.01, latencyTolerance: 0.1, latencyFloorMs: 0, latencyNoiseFloor: 0.35, tailOddsTolerance: 2, warmupSeconds: 0, tailQuantile: 0.99 };
    const ok: { name: string; raw: Record<string, string>; judge: object; stop: boolean }[] = [
        { name: "nothing set: the judge's defaults", raw: {}, judge: defaults, stop: false },
        { name: "a looser latency tolerance", raw: { canaryLatencyTolerance: "0.25" }, judge: { ...defaults, latencyTolerance: 0.25 }, stop: false },
        { name: "an error floor of 0 (errors judged by their odds alone)", raw: { canaryErrorRateFloor: "0" }, judge: { ...defaults, errorRateFloor: 0 }, stop: false },
        { name: "stop on an inconclusive verdict", raw: { canaryStopWhenInconclusive: "true" }, judge: defaults, stop: true },
        { name: "a fixed latency floor as well", raw: { canaryLatencyFloorMs: "20" }, judge: { ...defaults, latencyFloorMs: 20 }, stop: false },
        { name: "no noise floor", raw: { canaryLatencyNoiseFloor: "0" }, judge: { ...defaults, latencyNoiseFloor: 0 }, stop: false },
    ];
    for (const c of ok) {
        it(c.name, () => {
            const got = parseCanaryConfig(c.raw);
            assert.deepEqual(got.judge, c.judge);
            assert.equal(got.stopWhenInconclusive, c.stop);
        });
    }

    const bad: { name: string; raw: Record<string, string>; message: string }[] = [
        { name: "alpha of 0", raw: { canaryAlpha: "0" }, message: 'zdr:canaryAlpha: must be a number above 0 and at most 0.1 (the bound on the false-failure rate over all checks and looks); got "0"' },
        { name: "alpha not a number", raw: { canaryAlpha: "low" }, message: 'zdr:canaryAlpha: must be a number above 0 and at most 0.1 (the bound on the false-failure rate over all checks and looks); got "low"' },
        { name: "an odds tolerance of 1 can never pass", raw: { canaryErrorOddsTolerance: "1" }, message: 'zdr:canaryErrorOddsTolerance: must be a number above 1 and at most 100 (how many times the baseline\'s odds of failing the canary\'s may be); got "1"' },
        { name: "a tail quantile of 1", raw: { canaryTailQuantile: "1" }, message: 'zdr:canaryTailQuantile: must be a number from 0.5 to 0.999 (the baseline quantile that makes a request slow); got "1"' },
        { name: "stop as yes", raw: { canaryStopWhenInconclusive: "yes" }, message: 'zdr:canaryStopWhenInconclusive: must be true or false; got "yes"' },
        { name: "keep serving as 1", raw: { canaryKeepServingOnFail: "1" }, message: 'zdr:canaryKeepServingOnFail: must be true or false; got "1"' },
        { name: "a noise floor of 5 sigmas", raw: { canaryLatencyNoiseFloor: "5" }, message: 'zdr:canaryLatencyNoiseFloor: must be a number from 0 to 3 (the latency check fails only on a canary slower than the baseline x exp(this x the baseline\'s own sigma of log latency) as well); got "5"' },
        { name: "a negative latency floor", raw: { canaryLatencyFloorMs: "-1" }, message: 'zdr:canaryLatencyFloorMs: must be a number from 0 to 10000 (the latency check fails only on a canary slower by more than this many milliseconds as well); got "-1"' },
    ];
    for (const c of bad) {
        it(`refuses ${c.name}, naming the key`, () => {
            assert.throws(() => parseCanaryConfig(c.raw), (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && e.problems[0] === c.message);
        });
    }

    it("lists every problem at once", () => {
        assert.throws(() => parseCanaryConfig({ canaryAlpha: "2", canaryLatencyTolerance: "-1" }), (e: unknown) => e instanceof ConfigError && e.problems.length === 2);
    });

    it("keeps a failing canary serving only when asked", () => {
        assert.equal(parseCanaryConfig({}).keepServingOnFail, false);
        assert.equal(parseCanaryConfig({ canaryKeepServingOnFail: "true" }).keepServingOnFail, true);
    });

    it("is part of the stack's config: a bad canary key is refused with the rest, naming it", () => {
        const ctx = { resolvePath: (p: string) => p, keysSet: ["canaryAlpha"] };
        assert.equal(parseStackConfig({ startCommand: '["./app"]', dbPassword: "unit-test", canaryAlpha: "0.01" }, ctx).canary.judge.alpha, 0.01);
        assert.throws(
            () => parseStackConfig({ startCommand: '["./app"]', canaryAlpha: "1", canaryCount: "-1" }, ctx),
            (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith("zdr:canaryAlpha: ")) && e.problems.some((p) => p.startsWith("zdr:canaryCount: ")),
        );
    });

    it("refuses the retired minSamples key with what to do", () => {
        assert.throws(
            () => parseStackConfig({ startCommand: '["./app"]', minSamples: "200" }, { resolvePath: (p: string) => p, keysSet: ["minSamples"] }),
            (e: unknown) => e instanceof ConfigError && e.problems[0] === "zdr:minSamples: no longer used: the sequential canary judge needs no minimum sample (docs/canary.md); remove it (`scripts/pulumi config rm minSamples`)",
        );
    });

    it("accepts a bake of one second (the warm-up comes from the data, not the first second)", () => {
        assert.equal(parseReleaseConfig({ bakeSeconds: "1" }).bakeSeconds, 1);
    });
});
