// Seeded traffic for the canary judge's statistical tests: lognormal latency, errors at a rate.
import lognormal from "@stdlib/random-base-lognormal";
import mt19937 from "@stdlib/random-base-mt19937";
import type { Sample } from "../../src/canary/judge";

export interface Traffic {
    /** @default 2000 */
    readonly n?: number;
    /** Median latency in ms. @default 20 */
    readonly medianMs?: number;
    /** Errors: signature -> rate. A signature "" means a failure without a message. */
    readonly errors?: Readonly<Record<string, number>>;
}

export function simulator(seed: number) {
    const uniform = mt19937.factory({ seed });
    return (t: Traffic = {}): Sample[] => {
        const latency = lognormal.factory(Math.log(t.medianMs ?? 20), 0.5, { seed: uniform() });
        const errors = Object.entries(t.errors ?? {});
        return Array.from({ length: t.n ?? 2000 }, () => {
            let u = (uniform as unknown as { normalized(): number }).normalized();
            for (const [sig, rate] of errors) {
                if (u < rate) {
                    return { status: 500, latencyMs: latency(), ...(sig ? { error: sig } : {}) };
                }
                u -= rate;
            }
            return { status: 200, latencyMs: latency() };
        });
    };
}
