// Which servers move together: pure arithmetic over the plan, no resources.
import type { ReleasePlan } from "./plan";

/**
 * The plan's servers in batches of at most `maxUnavailable`, in release order: a batch's servers
 * move in parallel, and a batch starts only when every server of the previous one is back in the
 * load balancer (and judged, when it is a judged canary). A server whose version does not change
 * in this stage gets no step, so its batch simply has fewer servers out.
 *
 * The batches are fixed slices of the release order, not of the servers that change this stage:
 * the graph is then the same whatever the servers run now (the last up's outputs can be stale
 * after a failed up), so the bound holds in every case. The price: a stage whose changing servers
 * straddle a slice boundary takes one batch more than the fewest possible.
 *
 * Worked examples, servers [web-1 .. web-6]:
 * - maxUnavailable 1: [web-1] [web-2] [web-3] [web-4] [web-5] [web-6] (one at a time)
 * - maxUnavailable 2: [web-1 web-2] [web-3 web-4] [web-5 web-6]
 * - maxUnavailable 4: [web-1 web-2 web-3 web-4] [web-5 web-6]
 * - maxUnavailable 2, canaryCount 1 -> 6: web-1 does not change, so the first batch moves web-2
 *   alone, then web-3 with web-4, then web-5 with web-6: never more than 2 out.
 * - maxUnavailable 6 (or more): one batch of all six.
 */
export function planBatches(plan: ReleasePlan, maxUnavailable: number): string[][] {
    if (!Number.isInteger(maxUnavailable) || maxUnavailable < 1) {
        throw new RangeError(`maxUnavailable must be an integer of at least 1; got ${maxUnavailable}`);
    }
    const batches: string[][] = [];
    for (let i = 0; i < plan.servers.length; i += maxUnavailable) {
        batches.push(plan.servers.slice(i, i + maxUnavailable).map((s) => s.name));
    }
    return batches;
}
