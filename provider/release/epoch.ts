// zdr:release:Epoch — the switch between a staged release and an all-at-once release.
// Every server's deploy and membership take the epoch's id as an input. A staged release never
// replaces the epoch (a change of mode or release back to staged is an update that keeps the
// id), so it touches nothing. An all-at-once release replaces it, delete-first: the engine then
// deletes every resource whose input depends on it first — all memberships (drain) and all
// deploys (stop) — before the new epoch, the release's migration and the new servers are created.
import { randomBytes } from "node:crypto";
import type * as provider from "@pulumi/pulumi/provider";
import { changedKeys } from "../diff";
import type { EpochInputs } from "../../contract/release";

export { epochType } from "../../contract/tokens";

export const epochProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: EpochInputs, news: EpochInputs) {
        const changed = changedKeys(olds, news, []);
        const newAllAtOnce = news.mode === "all-at-once" && changed.length > 0;
        return { changes: changed.length > 0, replaces: newAllAtOnce ? changed : [], deleteBeforeReplace: true };
    },
    async create(_urn, inputs: EpochInputs) {
        return { id: `${inputs.mode}-${inputs.release}-${randomBytes(4).toString("hex")}`, outs: inputs };
    },
    async update(_id, _urn, _olds, news: EpochInputs) {
        return { outs: news };
    },
    async delete() {
        // Nothing outside the state.
    },
};
