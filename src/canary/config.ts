// The canary judge's settings from stack config, validated before anything changes: every
// message names the key and what is allowed. index.ts passes the result to each
// zdr:canary:Judgement as its `judge`, `stopWhenInconclusive` and `keepServingOnFail` inputs.
import { ConfigError, namespace, RawConfig, readNumber } from "../release/config";
import type { CheckKey } from "./checks/check";
import { errorRateKeys } from "./checks/error-rate";
import { latencyKeys } from "./checks/latency";
import { tailKeys } from "./checks/tail";
import { defaultAlpha, type JudgeOptions } from "./judge";

export interface CanaryConfig {
    readonly judge: JudgeOptions;
    /** Stop the `up` on an inconclusive verdict, not only on a failing one. */
    readonly stopWhenInconclusive: boolean;
    /** Keep a failing canary in the load balancer (to watch it longer) instead of leaving it out at once. */
    readonly keepServingOnFail: boolean;
}

/** The judge's own keys; each check's come from its module (./checks). */
const judgeKeys: readonly CheckKey<JudgeOptions>[] = [
    { type: "number", key: "canaryAlpha", option: "alpha", fallback: defaultAlpha, min: 0, max: 0.1, openMin: true, meaning: "the bound on the false-failure rate over all checks and looks" },
    { type: "number", key: "canaryPassAlpha", option: "passAlpha", fallback: 0.05, min: 0, max: 0.5, openMin: true, meaning: "the chance of an early pass while an effect is beyond its tolerance" },
    { type: "number", key: "canaryWarmupSeconds", option: "warmupSeconds", fallback: 0, min: 0, max: 3600, meaning: "seconds from the canary's first request left out of the latency and tail checks (errors count from the first request)" },
];

/** The keys, their defaults and ranges (Pulumi.yaml declares the same): the judge's, then each check's. */
export const canaryKeys: readonly CheckKey<JudgeOptions>[] = [...judgeKeys, ...errorRateKeys, ...latencyKeys, ...tailKeys];

/** Every canary key (Pulumi.yaml declares them, typed and with these defaults). */
export const canaryConfigKeys = [...canaryKeys.map((k) => k.key), "canaryStopWhenInconclusive", "canaryKeepServingOnFail"] as const;

export function parseCanaryConfig(raw: RawConfig): CanaryConfig {
    const problems: string[] = [];
    const judge = Object.fromEntries(canaryKeys.map((k) => [k.option, readNumber(raw, k, problems)])) as JudgeOptions;
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
    return { judge, stopWhenInconclusive, keepServingOnFail };
}
