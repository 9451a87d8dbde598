// `zdr status`: each server's version and membership as the load balancer and the machine
// really see them, next to the stack state, with drift flagged.
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
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
    /** The load balancer's status of the server: HAProxy's UP, DOWN, MAINT, DRAIN, ...; the ALB's healthy, draining, unused, ... */
    readonly lbStatus: string;
    readonly drift: string[];
}

/** A running app's version: its health answer's `version` (JSON) or `x-app-version` header; "healthy" when it says neither. */
async function health(url: string | undefined): Promise<string> {
    if (!url) {
        return "unknown";
    }
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) {
            return `unhealthy (HTTP ${res.status})`;
        }
        const text = await res.text();
        let version = res.headers.get("x-app-version") ?? undefined;
        try {
            version = (JSON.parse(text) as { version?: string }).version ?? version;
        } catch {
            // not JSON: the header, if any, says it
        }
        return version ?? unreported;
    } catch {
        return "not answering";
    }
}

/** What status shows for a healthy app that does not report its version. */
const unreported = "healthy";

/** Compares the state of a stack with its load balancer and servers (local default or AWS). */
export async function fleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    return resources.some((r) => r.type === "zdr:aws:TargetHealth") ? awsFleetStatus(resources) : localFleetStatus(resources);
}

/** The server of a fleet resource: the Fleet component names them `<fleet>-<server>-<suffix>`. */
function serverOfUrn(resources: readonly ResourceState[], urn: string, suffix: string): string | undefined {
    const fleet = resources.find((r) => r.type === "zdr:fleet:Fleet")?.urn.split("::").pop() ?? "";
    const name = urn.split("::").pop() ?? "";
    const prefix = `${fleet}-`;
    return name.startsWith(prefix) && name.endsWith(`-${suffix}`) ? name.slice(prefix.length, -suffix.length - 1) : undefined;
}

/**
 * The AWS target: the ALB's view of every target in the group (DescribeTargetHealth) beside the
 * memberships and versions in the state. The servers' own health is on private addresses,
 * unreachable from most places `zdr status` runs: the running version shows as "not checked".
 */
export async function awsFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const members = resources.filter((r) => r.type === "zdr:aws:TargetHealth");
    const deploys = resources.filter((r) => r.type === "command:remote:Command" && /-deploy$/.test(r.urn));
    const groups = new Map(members.map((m) => [m.outputs?.targetGroupArn as string, m]));
    const seen = new Map<string, string>(); // target id -> ALB state
    for (const [arn, m] of groups) {
        const client = new ElasticLoadBalancingV2Client({ region: m.outputs?.region, ...(m.outputs?.endpoint ? { endpoint: m.outputs.endpoint } : {}) });
        const r = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        for (const d of r.TargetHealthDescriptions ?? []) {
            seen.set(d.Target?.Id ?? "", d.TargetHealth?.State ?? "unknown");
        }
    }
    const rows = members.map((m): ServerStatus => {
        const server = serverOfUrn(resources, m.urn, "member-health") ?? String(m.outputs?.targetId);
        const deploy = deploys.find((d) => serverOfUrn(resources, d.urn, "deploy") === server);
        // "absent": the state names it, the group no longer lists it
        const lbStatus = seen.get(m.outputs?.targetId as string) ?? "absent";
        const drift = lbStatus === "healthy" ? [] : [`the state has it in the load balancer, the ALB says ${lbStatus}`];
        return { server, stateVersion: deploy?.outputs?.triggers?.[0], runningVersion: "not checked", stateMember: true, lbStatus, drift };
    });
    const known = new Set(members.map((m) => m.outputs?.targetId as string));
    for (const [id, state] of seen) {
        if (!known.has(id) && state !== "unused") {
            rows.push({ server: id, runningVersion: "not checked", stateMember: false, lbStatus: state, drift: ["the ALB sends it traffic without a membership in the state"] });
        }
    }
    return rows.sort((a, b) => a.server.localeCompare(b.server));
}

/** Compares the state of a local-default stack with HAProxy and the running servers. */
export async function localFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const deploys = resources.filter((r) => r.type === "zdr:local:Process" && /-deploy$/.test(r.urn));
    const members = resources.filter((r) => r.type === "zdr:haproxy:Member");
    const haproxy = resources.find((r) => r.type === "zdr:haproxy:LoadBalancer");
    const socket: string | undefined = members[0]?.outputs?.runtimeApi ?? haproxy?.outputs?.runtimeApi;
    const backend: string | undefined = members[0]?.outputs?.backend ?? haproxy?.outputs?.backend;
    const lb = socket && backend ? await new HaproxyRuntime(socket).serverStats(backend).catch(() => []) : [];
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
            if (stateVersion !== undefined && runningVersion !== stateVersion && runningVersion !== unreported) {
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
