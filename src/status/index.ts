// `zdr status`: each server's version and membership as the load balancer and the machine
// really see them, next to the stack state, with drift flagged. Each target reads its own load
// balancer (targets/registry.ts: fleetStatus); the rows are shared (rows.ts).
import { targetDefinitions } from "../../targets/registry";
import { currentResources } from "../release/fleet-state";
import type { ResourceState, ServerStatus } from "./rows";

export { type HealthAnswer, type ResourceState, revealed, type ServerStatus, versionOf } from "./rows";

/** Compares the state of a stack with its load balancer and servers, read the way its target reads them. */
export async function fleetStatus(all: readonly ResourceState[]): Promise<ServerStatus[]> {
    // an old resource the engine is about to delete, or deleted before its replacement, is not the fleet's
    const resources = currentResources(all);
    // the target whose memberships the state holds (a stack with none yet: the default's reader)
    const target = targetDefinitions.find((d) => resources.some((r) => (d.membershipTypes as readonly string[]).includes(r.type))) ?? targetDefinitions[0];
    return (await target.fleetStatus())(resources);
}

export function formatStatus(rows: readonly ServerStatus[]): string {
    const lines = ["server    state version  running version   state member  load balancer  drift"];
    for (const r of rows) {
        lines.push(`${r.server.padEnd(9)} ${(r.stateVersion ?? "-").padEnd(14)} ${r.runningVersion.padEnd(17)} ${(r.stateMember ? "yes" : "no").padEnd(13)} ${r.lbStatus.padEnd(14)} ${r.drift.join("; ") || "-"}`);
    }
    for (const r of rows.filter((x) => x.canary)) {
        lines.push("", `${r.server}: ${r.canary}`);
    }
    for (const r of rows.filter((x) => x.hook)) {
        lines.push("", `${r.server}: ${r.hook}`);
    }
    // a failure the notes above do not already say (a failed deploy, a reattach that timed out)
    for (const r of rows.filter((x) => x.failure && !x.hook && !x.canary)) {
        lines.push("", `${r.server}: ${r.failure?.split("\n")[0]}`);
    }
    for (const r of rows.filter((x) => x.next)) {
        lines.push("", `${r.server} is out of the load balancer; next: ${r.next}`);
    }
    const drifted = rows.filter((r) => r.drift.length > 0).length;
    lines.push("", drifted ? `${drifted} server(s) drifted: run \`scripts/pulumi refresh --yes\` then \`scripts/pulumi up\` (docs/operations.md)` : "no drift");
    return lines.join("\n");
}
