// The canary judge's settings from stack config, validated before anything changes: every
// message names the key and what is allowed. index.ts passes the result to each
// zdr:canary:Judgement as its `judge`, `stopWhenInconclusive` and `keepServingOnFail` inputs.
import { ConfigError, namespace, RawConfig } from "../release/config";
import { defaultAlpha, type JudgeOptions } from "./judge";

export interface CanaryConfig {
    readonly judge: JudgeOptions;
    /** Stop the `up` on an inconclusive verdict, not only on a failing one. */
    readonly stopWhenInconclusive: boolean;
    /** Keep a failing canary in the load balancer (to watch it longer) instead of leaving it out at once. */
    readonly keepServingOnFail: boolean;
}

interface NumberKey {
    readonly key: string;
    readonly option: keyof JudgeOptions;
    readonly fallback: number;
    /** The allowed range; `open` ends exclude the bound. */
    readonly min: number;
    readonly max: number;
    readonly openMin?: boolean;
    readonly meaning: string;
}

/** The keys, their defaults and ranges (Pulumi.yaml declares the same). */
export const canaryKeys: readonly NumberKey[] = [
    { key: "canaryAlpha", option: "alpha", fallback: defaultAlpha, min: 0, max: 0.1, openMin: true, meaning: "the bound on the false-failure rate over all checks and looks" },
    { key: "canaryPassAlpha", option: "passAlpha", fallback: 0.05, min: 0, max: 0.5, openMin: true, meaning: "the chance of an early pass while an effect is beyond its tolerance" },
    { key: "canaryErrorOddsTolerance", option: "errorOddsTolerance", fallback: 1.5, min: 1, max: 100, openMin: true, meaning: "how many times the baseline's odds of failing the canary's may be" },
    { key: "canaryErrorRateFloor", option: "errorRateFloor", fallback: 0.01, min: 0, max: 0.5, meaning: "a canary error rate proven at most this many points above the baseline's passes the error check" },
    { key: "canaryLatencyTolerance", option: "latencyTolerance", fallback: 0.1, min: 0, max: 10, openMin: true, meaning: "how much slower the canary may be (0.1 = +10%)" },
    { key: "canaryLatencyFloorMs", option: "latencyFloorMs", fallback: 0, min: 0, max: 10000, meaning: "the latency check fails only on a canary slower by more than this many milliseconds as well" },
    { key: "canaryLatencyNoiseFloor", option: "latencyNoiseFloor", fallback: 0.35, min: 0, max: 3, meaning: "the latency check fails only on a canary slower than the baseline x exp(this x the baseline's own sigma of log latency) as well" },
    { key: "canaryTailOddsTolerance", option: "tailOddsTolerance", fallback: 2, min: 1, max: 100, openMin: true, meaning: "how many times the baseline's odds of a slow request the canary's may be" },
    { key: "canaryWarmupSeconds", option: "warmupSeconds", fallback: 0, min: 0, max: 3600, meaning: "seconds from the canary's first request left out of the latency and tail checks (errors count from the first request)" },
    { key: "canaryTailQuantile", option: "tailQuantile", fallback: 0.99, min: 0.5, max: 0.999, meaning: "the baseline quantile that makes a request slow" },
];

/** Every canary key (Pulumi.yaml declares them, typed and with these defaults). */
export const canaryConfigKeys = [...canaryKeys.map((k) => k.key), "canaryStopWhenInconclusive", "canaryKeepServingOnFail"] as const;

export function parseCanaryConfig(raw: RawConfig): CanaryConfig {
    const problems: string[] = [];
    const judge: Record<string, number> = {};
    for (const k of canaryKeys) {
        const text = raw[k.key];
        const value = text === undefined || text === "" ? k.fallback : Number(text);
        const inRange = Number.isFinite(value) && (k.openMin ? value > k.min : value >= k.min) && value <= k.max;
        if (!inRange) {
            problems.push(`${namespace}:${k.key}: must be a number ${k.openMin ? "above" : "from"} ${k.min} ${k.openMin ? "and at most" : "to"} ${k.max} (${k.meaning}); got ${JSON.stringify(text)}`);
            continue;
        }
        judge[k.option] = value;
    }
    const flag = (key: "canaryStopWhenInconclusive" | "canaryKeepServingOnFail") => {
        const v = raw[key];
        if (v !== undefined && v !== "" && v !== "true" && v !== "false") {
            problems.push(`${namespace}:${key}: must be true or false; got ${JSON.stringify(v)}`);
        }
        return v === "true";
    };
    const stopWhenInconclusive = flag("canaryStopWhenInconclusive");
    const keepServingOnFail = flag("canaryKeepServingOnFail");
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { judge: judge as JudgeOptions, stopWhenInconclusive, keepServingOnFail };
}
