// zdr:haproxy:Server — a server's entry in an HAProxy backend, through the runtime API.
// create = `add server` with its health check (HAProxy creates it in maintenance; a
//          zdr:haproxy:Member then reattaches it), then `enable health`.
// delete = `del server`, after the membership drained it and its deploy stopped it; a server
//          HAProxy no longer has, or an HAProxy no longer running, leaves nothing to remove.
// The load balancer's reload (zdr:haproxy:LoadBalancer) writes every such server into the
// configuration file, so a reload keeps it; a new HAProxy (a restart) replaces it.
import { pollUntil } from "../../src/poll";
import type * as provider from "@pulumi/pulumi/provider";
import { HaproxyRuntime, isNoSuchServer } from "../../src/haproxy/runtime";
import { changedKeys } from "../diff";
import { loadBalancerAlive } from "./load-balancer";
import type { ServerInputs } from "../../contract/haproxy";

export { serverType } from "../../contract/tokens";

export async function addServer(s: ServerInputs): Promise<void> {
    const api = new HaproxyRuntime(s.runtimeApi);
    try {
        await api.addServer(s.backend, s.server, s.address, s.check);
    } catch (e) {
        // A create repeated after an interrupted up: the entry is there already; keep it if it is the same.
        const existing = (await api.serversState(s.backend)).find((x) => x.server === s.server);
        if (!existing || `${existing.address}:${existing.port}` !== s.address) {
            throw e;
        }
        await api.command(`enable health ${s.backend}/${s.server}`);
    }
}

/** Removes the entry; returns why there was nothing to remove, if so. */
export async function removeServer(s: ServerInputs): Promise<string | undefined> {
    if (!loadBalancerAlive(s.loadBalancer)) {
        return `HAProxy ${s.loadBalancer} is not running; nothing to remove`;
    }
    const api = new HaproxyRuntime(s.runtimeApi);
    let status: string;
    try {
        status = (await api.serverStat(s.backend, s.server)).status;
    } catch (e) {
        if (isNoSuchServer(e)) {
            return `HAProxy no longer has ${s.backend}/${s.server}; nothing to remove`;
        }
        throw e;
    }
    if (!status.startsWith("MAINT")) {
        // Its membership was not in the state (an interrupted up): take it out of rotation first.
        await api.setServerState(s.backend, s.server, "maint");
    }
    let refused: unknown;
    const removed = await pollUntil(async () => {
        try {
            await api.delServer(s.backend, s.server);
            return { said: undefined };
        } catch (e) {
            if (isNoSuchServer(e)) {
                return { said: `HAProxy no longer has ${s.backend}/${s.server}; nothing to remove` };
            }
            // HAProxy refuses while the server still has a connection or a queued request.
            refused = e;
            return undefined;
        }
    }, { timeoutMs: s.removeTimeoutMs ?? 30000, intervalMs: 100 });
    if (!removed) {
        throw refused;
    }
    return removed.said;
}

export const serverProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: ServerInputs, news: ServerInputs) {
        const changed = changedKeys(olds, news, []);
        const replaces = changed.filter((k) => k !== "check" && k !== "removeTimeoutMs");
        return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(_urn, inputs: ServerInputs) {
        await addServer(inputs);
        return { id: `${inputs.backend}/${inputs.server}`, outs: inputs };
    },
    async read(id, _urn, props?: ServerInputs) {
        if (!props || !loadBalancerAlive(props.loadBalancer)) {
            return { id: "", props: {} };
        }
        const known = (await new HaproxyRuntime(props.runtimeApi).serversState(props.backend)).some((s) => s.server === props.server);
        return known ? { id, props } : { id: "", props: {} };
    },
    async update(_id, _urn, _olds: ServerInputs, news: ServerInputs) {
        return { outs: news };
    },
    async delete(_id, _urn, props: ServerInputs) {
        const nothing = await removeServer(props);
        if (nothing) {
            console.error(`zdr: ${nothing}`);
        }
    },
};
