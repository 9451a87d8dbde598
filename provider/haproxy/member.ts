// zdr:haproxy:Member — a server's membership in an HAProxy backend, through the runtime API.
// create = reattach: health down, state ready, then wait until HAProxy's own health checks
//          bring it UP (a server leaving maintenance otherwise shows UP before any check ran).
//          With hooks: beforeAllowTraffic runs first (failing: the server stays out),
//          afterAllowTraffic after (failing: drained out again). A failed hook, a reattach that
//          never sees UP (the server is put back in maintenance) or a failed deploy (no reattach
//          at all) is recorded, not thrown: `inLoadBalancer: false` and `failure` with the
//          hook's output, so that the engine never stops while the other servers of the batch
//          are moving; the batch's check fails the `up` (createWithHooks, docs/release-graph.md).
// delete = drain: state drain (no new requests), wait until the server has no session and
//          nothing queued (bounded by the drain timeout), then state maint. A server HAProxy no
//          longer has, or an HAProxy no longer running, has nothing to drain: the delete succeeds.
import { pollUntil } from "../../src/poll";
import type * as provider from "@pulumi/pulumi/provider";
import { isNoSuchServer, runtimeOf } from "../../src/haproxy/runtime";
import { changedKeys } from "../diff";
import { recordEvent } from "../events";
import type { HookResult, HookRun } from "../hook";
import { createWithHooks, recordedOut, sameHooks, withHooks } from "../membership";
import { loadBalancerAlive } from "./load-balancer";
import type { HookOutcome, MemberInputs, MemberOutputs } from "../../contract/member";

export { memberType } from "../../contract/tokens";

export async function reattach(m: MemberInputs): Promise<void> {
    const api = runtimeOf(m);
    const timeoutMs = m.healthTimeoutMs ?? 30000;
    recordEvent(m.events, "reattach", "start");
    await api.setServerHealth(m.backend, m.server, "down");
    await api.setServerState(m.backend, m.server, "ready");
    let status = "";
    const up = await pollUntil(async () => ((status = (await api.serverStat(m.backend, m.server)).status) === "UP" ? true : undefined), { timeoutMs, intervalMs: 50 });
    if (up) {
        recordEvent(m.events, "reattach", "end");
        return;
    }
    throw new Error(
        `reattach of ${m.backend}/${m.server}: HAProxy does not see it UP after ${timeoutMs} ms (last status: ${status || "none"})`,
    );
}

/**
 * Returns the sessions still open when the drain timeout ended it (0 on a clean drain), or why
 * there was nothing to drain: the HAProxy it belongs to is not running, or no longer has it.
 */
export async function drain(m: MemberInputs): Promise<number | string> {
    if (m.loadBalancer !== undefined && !loadBalancerAlive(m.loadBalancer)) {
        return `HAProxy ${m.loadBalancer} is not running; nothing to drain`;
    }
    const api = runtimeOf(m);
    recordEvent(m.events, "drain", "start");
    try {
        await api.setServerState(m.backend, m.server, "drain");
    } catch (e) {
        if (!isNoSuchServer(e)) {
            throw e;
        }
        recordEvent(m.events, "drain", "end");
        return `HAProxy no longer has ${m.backend}/${m.server}; nothing to drain`;
    }
    let open = -1;
    await pollUntil(async () => {
        const s = await api.serverStat(m.backend, m.server);
        open = s.scur + s.qcur;
        return open === 0 ? true : undefined;
    }, { timeoutMs: m.drainTimeoutMs ?? 30000, intervalMs: 50 });
    await api.setServerState(m.backend, m.server, "maint");
    recordEvent(m.events, "drain", "end");
    return open;
}

/** A membership's create on HAProxy: hooks and reattach, the outcome recorded (createWithHooks). */
function createMember(m: MemberInputs): Promise<{ id: string; outs: MemberOutputs }> {
    return createWithHooks(`${m.backend}/${m.server}`, m.server, m, () => reattachWithHooks(m), () => runtimeOf(m).setServerState(m.backend, m.server, "maint"));
}

/** withHooks around HAProxy's reattach and drain. */
export function reattachWithHooks(m: MemberInputs, run?: (r: HookRun) => Promise<HookResult>): Promise<HookOutcome[]> {
    return withHooks(m.hooks, m.server, () => reattach(m), () => drain(m), run);
}

export const memberProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: MemberOutputs, news: MemberInputs) {
        // every change replaces (a reattach), except how zdr reaches the hosts (a new key, known hosts)
        const changed = changedKeys(olds, news, ["inLoadBalancer", "hookResults", "failure"]);
        // how the hooks reach their host and what they mask are not what they run
        const replaces = changed.filter((k) => k !== "ssh" && (k !== "hooks" || !sameHooks(olds.hooks, news.hooks)));
        // a membership recorded out is tried again (update)
        return { changes: changed.length > 0 || recordedOut(olds), replaces };
    },
    async update(_id, _urn, olds: MemberOutputs, news: MemberInputs) {
        if (recordedOut(olds)) {
            // a create that recorded the server out (or, before, failed on a hook): the reattach is tried again
            return { outs: (await createMember(news)).outs };
        }
        return { outs: { ...news, inLoadBalancer: olds.inLoadBalancer, ...(olds.hookResults ? { hookResults: olds.hookResults } : {}) } };
    },
    async create(_urn, inputs: MemberInputs) {
        return createMember(inputs);
    },
    async read(id, _urn, props?: MemberOutputs) {
        if (!props) {
            return { id, props: {} };
        }
        if (props.loadBalancer !== undefined && !loadBalancerAlive(props.loadBalancer)) {
            return { id: "", props: {} };
        }
        let stat;
        try {
            stat = await runtimeOf(props).serverStat(props.backend, props.server);
        } catch (e) {
            if (isNoSuchServer(e)) {
                return { id: "", props: {} };
            }
            throw e;
        }
        // A server in maintenance or left draining (a drain whose provider was killed) takes no
        // new requests: it is not a member, and a refresh drops it so that the next up reattaches it.
        if (stat.status.startsWith("MAINT") || stat.status.startsWith("DRAIN")) {
            return { id: "", props: {} };
        }
        return { id, props: { ...props, inLoadBalancer: true } };
    },
    async delete(_id, _urn, props: MemberOutputs) {
        const open = await drain(props);
        if (typeof open === "string") {
            console.error(`zdr: ${open}`);
        } else if (open > 0) {
            console.error(`zdr: drain of ${props.backend}/${props.server} timed out with ${open} session(s) still open`);
        }
    },
};
