// Each server as the stack's checkpoint has it: what the release report, the stage results and
// `zdr status` show after an `up`, failed ones included.
// Why not the stack's `servers` output: the engine writes a stack's outputs only once the program
// has registered them, i.e. once every server's outputs resolved; an `up` that stops at a failed
// batch never gets there (the later batches are never registered), so the outputs stay those of
// the last `up` that finished. The checkpoint's resources, though, are written step by step, the
// failed `up`'s included: each membership's version, membership, hook results and `failure`, each
// judgement's verdict. docs/operations.md, "After a failed up".
import type { HookOutcome } from "../../contract/member";
import { hostsDeployType, judgementType, membershipTypes as membershipTokens, processType } from "../../contract/tokens";

export interface ServerOutput {
    readonly name: string;
    readonly version: string;
    readonly inLoadBalancer: boolean;
    /** The canary verdict, when the server was judged: "pass", "accepted", "inconclusive", or one that stopped the up ("fail") or was not reached ("not judged"). */
    readonly verdict?: string;
    /** What the team's hooks did at the server's last reattach, when it has hooks. */
    readonly hooks?: readonly HookOutcome[];
    /** The server's port, on the local default. */
    readonly port?: number;
    /** Why the server is not serving its version (a failed deploy, hook, reattach or judgement), after a failed up. */
    readonly failure?: string;
}

/** A resource of the stack's checkpoint, as `pulumi stack export` lists it. */
export interface StateResource {
    readonly urn?: string;
    readonly type: string;
    readonly outputs?: Record<string, any>;
    /** The engine's marks of a resource on its way out (a replaced one to delete; one deleted before its replacement). */
    readonly delete?: boolean;
    readonly pendingReplacement?: boolean;
}

const membershipTypes = new Set<string>(membershipTokens);

/** The resources the checkpoint holds as current (not an old one marked for deletion or already deleted before its replacement). */
export function currentResources<R extends StateResource>(resources: readonly R[]): R[] {
    return resources.filter((r) => !r.delete && !r.pendingReplacement);
}

/** The server a resource of the fleet belongs to (its membership, deploy or judgement), else undefined. */
export function serverOfResource(r: StateResource): string | undefined {
    const o = r.outputs;
    if (!o) {
        return undefined;
    }
    if (membershipTypes.has(r.type) || r.type === hostsDeployType) {
        return typeof o.server === "string" ? o.server : undefined;
    }
    if (r.type === processType) {
        return typeof o.events?.server === "string" ? o.events.server : undefined;
    }
    if (r.type === judgementType) {
        return typeof o.canary === "string" ? o.canary : undefined;
    }
    return undefined;
}

/** What stopped a judgement's release: its recorded failure, or a failing verdict of a state from before it was recorded. */
function judgementFailure(j: Record<string, any>): string | undefined {
    if (typeof j.failure === "string") {
        return j.failure;
    }
    if (j.verdict === "fail" || j.verdict === "inconclusive") {
        return `canary ${j.canary} (${j.version}) ${j.verdict === "fail" ? `failed its judgement (${(j.failedChecks ?? []).join(", ") || "see its report"})` : "was inconclusive"}`;
    }
    return undefined;
}

/**
 * Every server of the last outputs and of the checkpoint, as the checkpoint's current
 * resources have it: the membership's version, `inLoadBalancer` (false when recorded out, when a
 * failing judgement left it out, or when no membership is left: drained), its hook results and
 * failure; the judgement's verdict (of the same version). A server the checkpoint knows nothing
 * of keeps its last output. Worked example: last outputs web-3 v1 in; the checkpoint has web-3's
 * membership on v3 recorded out with beforeAllowTraffic exit 1: web-3 v3, out, that hook result,
 * and the hook's failure.
 */
export function fleetFromState(last: readonly ServerOutput[], resources: readonly StateResource[]): ServerOutput[] {
    const current = currentResources(resources);
    const names = [...new Set([...last.map((s) => s.name), ...current.filter((r) => membershipTypes.has(r.type)).map(serverOfResource)])].filter((n): n is string => n !== undefined);
    const fleetKnows = new Set(current.map(serverOfResource).filter((n) => n !== undefined));
    return names.map((name): ServerOutput => {
        const before = last.find((s) => s.name === name);
        if (!fleetKnows.has(name)) {
            return before ?? { name, version: "?", inLoadBalancer: false };
        }
        const member = current.find((r) => membershipTypes.has(r.type) && serverOfResource(r) === name)?.outputs;
        const version: string = member?.version ?? before?.version ?? "?";
        const judgement = current.find((r) => r.type === judgementType && serverOfResource(r) === name && r.outputs?.version === version)?.outputs;
        const verdict: string | undefined = judgement ? (judgement.outcome === "inconclusive" && judgement.verdict === "pass" ? "inconclusive" : judgement.verdict) : undefined;
        const failure: string | undefined = (typeof member?.failure === "string" ? member.failure : undefined) ?? (judgement ? judgementFailure(judgement) : undefined);
        const inLoadBalancer = member !== undefined && member.inLoadBalancer !== false && !(judgement?.leftOut === true && failure !== undefined);
        const hooks = Array.isArray(member?.hookResults) && member.hookResults.length > 0 ? (member.hookResults as HookOutcome[]) : undefined;
        return {
            name,
            version,
            inLoadBalancer,
            ...(verdict ? { verdict } : {}),
            ...(hooks ? { hooks } : {}),
            ...(before?.port !== undefined ? { port: before.port } : {}),
            ...(failure !== undefined ? { failure } : member === undefined ? { failure: `${name} has no membership in the state: it was drained and not reattached` } : {}),
        };
    });
}
