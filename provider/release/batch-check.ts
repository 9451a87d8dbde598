// zdr:release:BatchCheck — where a batch's failures stop the `up`, once every server of the batch
// has finished its own steps.
// The engine stops launching steps at the first step that fails (unless --continue-on-error):
// a step already running finishes, but the next step of another server's chain, or a resource
// the program registers afterwards, never runs. A server of a batch whose partner failed first
// was then left drained, or deployed but never reattached, depending on the interleaving
// (issue 28). So a server's own steps (deploy, membership, judgement) record what went wrong
// as their `failure` output instead of failing, and this resource, which depends on the end of
// every server of its batch, is the step that fails: by then every server of the batch is back
// in the load balancer or recorded out. The next batch's deploys depend on it, so a failure
// stops the release there. docs/release-graph.md, "When one server of a batch fails".
// create, update = fail (with every failure of the batch, and what to do next) when a server of
//          the batch recorded one, else succeed; nothing outside the state.
import type * as provider from "@pulumi/pulumi/provider";
import { changedKeys } from "../diff";
import { initFailure } from "../hook";
import type { BatchCheckInputs } from "../../contract/release";

export { batchCheckType } from "../../contract/tokens";

/** The `up`'s message for a batch with failures; undefined when none failed. */
export function batchFailure(inputs: BatchCheckInputs): string | undefined {
    const failed = inputs.servers.filter((s) => inputs.failures[s] !== undefined);
    if (failed.length === 0) {
        return undefined;
    }
    const others = inputs.servers.filter((s) => !failed.includes(s));
    return [
        `the release stops at the batch ${inputs.servers.join(", ")}: ${failed.join(", ")} failed${others.length === 1 ? `; ${others[0]} finished its own steps and serves` : others.length > 1 ? `; ${others.join(", ")} finished their own steps and serve` : ""}`,
        ...failed.map((s) => `${s}: ${inputs.failures[s]}`),
        "`npx zdr status` shows each server as the state has it, and what to do next for each server left out.",
    ].join("\n");
}

async function check(inputs: BatchCheckInputs): Promise<{ id: string; outs: BatchCheckInputs }> {
    const id = `batch-${inputs.servers.join("+")}`;
    const message = batchFailure(inputs);
    if (message !== undefined) {
        // kept in the state (failed to initialise): the engine updates it at the next up, which checks again
        throw initFailure(message, id, inputs);
    }
    return { id, outs: inputs };
}

export const batchCheckProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: BatchCheckInputs, news: BatchCheckInputs) {
        // A preview does not know the failures of servers that move (unknown, a carried failure):
        // it shows the check unchanged rather than an update of every moving server's check; the
        // `up` itself diffs the failures it got (and a check that failed before is updated anyway:
        // initialisation errors).
        const changed = changedKeys(olds, news, []);
        return { changes: changed.length > 0, replaces: [] };
    },
    async create(_urn, inputs: BatchCheckInputs) {
        return check(inputs);
    },
    async update(_id, _urn, _olds, news: BatchCheckInputs) {
        return { outs: (await check(news)).outs };
    },
    async delete() {
        // Nothing outside the state.
    },
};
