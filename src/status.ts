// `zdr status`: each server's version and membership as the load balancer and the machine
// really see them, next to the stack state, with drift flagged.
import { HaproxyRuntime } from "./haproxy/runtime";

export interface ResourceState {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: Record<string, any>;
}

export interface ServerStatus {
    readonly server: string;
    /** The version the state says the server runs. */
    readonly stateVersion?: string;
    /** The version the server answers with on /health, or why it does not. */
    readonly runningVersion: string;
    /** Does the state hold a membership for the server? */
    readonly stateMember: boolean;
    /** HAProxy's status of the server: UP, DOWN, MAINT, DRAIN, ... */
    readonly lbStatus: string;
    readonly drift: string[];
}

async function health(url: string | undefined): Promise<string> {
    if (!url) {
        return "unknown";
    }
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { version?: string };
        return res.ok ? (body.version ?? "?") : `unhealthy (HTTP ${res.status})`;
    } catch {
        return "not answering";
    }
}

/** Compares the state of a local-default stack with HAProxy and the running servers. */
export async function fleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const deploys = resources.filter((r) => r.type === "zdr:local:Process" && /-deploy$/.test(r.urn));
    const members = resources.filter((r) => r.type === "zdr:haproxy:Member");
    const haproxy = resources.find((r) => r.type === "zdr:local:Process" && /-haproxy$/.test(r.urn));
    const socket = members[0]?.outputs?.runtimeApi ?? (haproxy ? String(haproxy.outputs?.command?.[3] ?? "").replace(/haproxy\.cfg$/, "haproxy.sock") : undefined);
    const lb = socket ? await new HaproxyRuntime(socket).serverStats("webshop").catch(() => []) : [];
    const servers = [...new Set([...deploys.map((d) => d.outputs?.events?.server as string), ...lb.map((s) => s.server)])].filter(Boolean).sort();
    return Promise.all(
        servers.map(async (server) => {
            const deploy = deploys.find((d) => d.outputs?.events?.server === server);
            const member = members.find((m) => m.outputs?.server === server);
            const stateVersion = deploy?.outputs?.triggers?.[0] as string | undefined;
            // env is a secret in the state (it carries the database password); the health URL is not
            const runningVersion = await health(deploy?.outputs?.healthUrl);
            const lbStatus = lb.find((s) => s.server === server)?.status ?? "absent";
            const drift: string[] = [];
            if (stateVersion !== undefined && runningVersion !== stateVersion) {
                drift.push(`state says ${stateVersion}, the server answers ${runningVersion}`);
            }
            if (member && lbStatus !== "UP") {
                drift.push(`the state has it in the load balancer, HAProxy says ${lbStatus}`);
            }
            if (!member && lbStatus.startsWith("UP")) {
                drift.push("HAProxy sends it traffic without a membership in the state");
            }
            return { server, stateVersion, runningVersion, stateMember: Boolean(member), lbStatus, drift };
        }),
    );
}

export function formatStatus(rows: readonly ServerStatus[]): string {
    const lines = ["server    state version  running version   state member  load balancer  drift"];
    for (const r of rows) {
        lines.push(`${r.server.padEnd(9)} ${(r.stateVersion ?? "-").padEnd(14)} ${r.runningVersion.padEnd(17)} ${(r.stateMember ? "yes" : "no").padEnd(13)} ${r.lbStatus.padEnd(14)} ${r.drift.join("; ") || "-"}`);
    }
    const drifted = rows.filter((r) => r.drift.length > 0).length;
    lines.push("", drifted ? `${drifted} server(s) drifted: run \`scripts/pulumi refresh --yes\` then \`scripts/pulumi up\` (docs/operations.md)` : "no drift");
    return lines.join("\n");
}
