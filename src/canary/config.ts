// The canary judge's settings from stack config, validated before anything changes: every
// message names the key and what is allowed. index.ts passes the result to each
// zdr:canary:Judgement as its `judge`, `stopWhenInconclusive` and `keepServingOnFail` inputs.
import { type ConfigKey, ConfigError, RawConfig, readFlag, readNumber } from "../release/config";
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
    {
        type: "number", key: "canaryAlpha", option: "alpha", fallback: defaultAlpha, min: 0, max: 0.1, openMin: true, meaning: "the bound on the false-failure rate over all checks and looks",
        description:
            "Canary judge: the bound on the false-failure rate over all checks and all looks (a number above 0, " +
            "at most 0.1; the measured rate is about a third of it; docs/canary.md).",
    },
    {
        type: "number", key: "canaryPassAlpha", option: "passAlpha", fallback: 0.05, min: 0, max: 0.5, openMin: true, meaning: "the chance of an early pass while an effect is beyond its tolerance",
        description:
            "Canary judge: the chance of an early pass while an effect is beyond its tolerance (a number above 0, " +
            "at most 0.5).",
    },
    {
        type: "number", key: "canaryWarmupSeconds", option: "warmupSeconds", fallback: 0, min: 0, max: 3600, meaning: "seconds from the canary's first request left out of the latency and tail checks (errors count from the first request)",
        description:
            "Canary judge: seconds from the canary's first request left out of the latency and tail checks, for " +
            "an app known to start slow (JIT, caches, connection pools); errors and new error signatures count " +
            "from the first request; the detected warm-up follows (a number from 0 to 3600).",
    },
];

/** The keys, their defaults and ranges (Pulumi.yaml declares the same): the judge's, then each check's. */
export const canaryKeys: readonly CheckKey<JudgeOptions>[] = [...judgeKeys, ...errorRateKeys, ...latencyKeys, ...tailKeys];

/** What the canary's verdict does beyond the judge's numbers. */
export const canaryFlagKeys = {
    canaryStopWhenInconclusive: {
        key: "canaryStopWhenInconclusive", type: "boolean", fallback: false,
        description:
            "Stop the `up` when a canary is still undecided at the end of bakeSeconds, as a failing one does " +
            "(else the release goes on and says inconclusive).",
    },
    canaryKeepServingOnFail: {
        key: "canaryKeepServingOnFail", type: "boolean", fallback: false,
        description:
            "Keep a failing canary in the load balancer, to watch it longer (else the local default sets it to " +
            "maint the moment it fails; its process and logs are kept either way).",
    },
} as const satisfies Record<string, ConfigKey>;

/** Every canary key as rows of the config table (every target reads them). */
export const canaryRows: readonly ConfigKey[] = [...canaryKeys, ...Object.values(canaryFlagKeys)];

export function parseCanaryConfig(raw: RawConfig): CanaryConfig {
    const problems: string[] = [];
    const judge = Object.fromEntries(canaryKeys.map((k) => [k.option, readNumber(raw, k, problems)])) as JudgeOptions;
    const stopWhenInconclusive = readFlag(raw, canaryFlagKeys.canaryStopWhenInconclusive, problems);
    const keepServingOnFail = readFlag(raw, canaryFlagKeys.canaryKeepServingOnFail, problems);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { judge, stopWhenInconclusive, keepServingOnFail };
}
