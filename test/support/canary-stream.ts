// Seeded request streams for the canary judge's sequential tests and bench: requests arrive
// at a fixed rate, each goes to the canary with the split's probability, latency is lognormal
// (whole milliseconds, so ties are common), errors come at a rate with a signature, and
// whatever a scenario changes on the canary (latency factor, slow tail, cold start, errors)
// or on every server (an error burst) is applied per request.
import mt19937 from "@stdlib/random-base-mt19937";
import type { Sample } from "../../src/canary/judge";

export interface StreamSpec {
    /** Baseline servers per canary server (1:3 is 3). */
    readonly split: number;
    /** Requests per second over the whole fleet. @default 100 */
    readonly rate?: number;
    /** Median latency in ms. @default 20 */
    readonly medianMs?: number;
    /** Spread of log latency. @default 0.5 */
    readonly sigma?: number;
    /** Baseline errors: signature -> rate. @default { "db timeout": 0.005 } */
    readonly errors?: Readonly<Record<string, number>>;
    /** The canary's errors, instead of the baseline's. @default - the baseline's */
    readonly canaryErrors?: Readonly<Record<string, number>>;
    /** The canary's latency factor. @default 1 */
    readonly canaryFactor?: number;
    /** A share of canary requests this many times slower: [share, factor]. */
    readonly canaryTail?: readonly [number, number];
    /** The canary starts cold: its latency factor is 1 + excess * exp(-i / requests) at its i-th request. */
    readonly coldStart?: { readonly excess: number; readonly requests: number };
    /** An error burst on every server: from (s), for (s), at rate, with a signature. */
    readonly burst?: { readonly from: number; readonly seconds: number; readonly rate: number; readonly signature: string };
}

export interface StreamRequest {
    readonly group: "baseline" | "canary";
    readonly t: number;
    readonly s: Sample;
}

/** An endless seeded stream; call next() for each request. */
export function requestStream(seed: number, spec: StreamSpec): () => StreamRequest {
    const rng = mt19937.factory({ seed });
    const u = () => (rng as unknown as { normalized(): number }).normalized();
    const normal = () => {
        // Box-Muller; one value a call keeps the stream simple to reason about.
        const a = Math.max(u(), 1e-12);
        return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
    };
    const rate = spec.rate ?? 100;
    const logMedian = Math.log(spec.medianMs ?? 20);
    const sigma = spec.sigma ?? 0.5;
    const baseErrors = Object.entries(spec.errors ?? { "db timeout": 0.005 });
    const canaryErrors = spec.canaryErrors ? Object.entries(spec.canaryErrors) : baseErrors;
    const share = 1 / (1 + spec.split);
    let t = 0;
    let canaries = 0;
    return () => {
        t += 1000 / rate;
        const canary = u() < share;
        let factor = 1;
        if (canary) {
            factor = spec.canaryFactor ?? 1;
            if (spec.coldStart) {
                factor *= 1 + spec.coldStart.excess * Math.exp(-canaries / spec.coldStart.requests);
            }
            if (spec.canaryTail && u() < spec.canaryTail[0]) {
                factor *= spec.canaryTail[1];
            }
            canaries++;
        }
        const latencyMs = Math.max(0, Math.round(Math.exp(logMedian + sigma * normal()) * factor));
        const group = canary ? ("canary" as const) : ("baseline" as const);
        const b = spec.burst;
        if (b && t >= b.from * 1000 && t < (b.from + b.seconds) * 1000 && u() < b.rate) {
            return { group, t, s: { status: 503, latencyMs, error: b.signature } };
        }
        let x = u();
        for (const [signature, r] of canary ? canaryErrors : baseErrors) {
            if (x < r) {
                return { group, t, s: { status: 500, latencyMs, ...(signature ? { error: signature } : {}) } };
            }
            x -= r;
        }
        return { group, t, s: { status: 200, latencyMs } };
    };
}
