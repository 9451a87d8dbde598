// `zdr status`: each server's version and membership as the load balancer and the machine
// really see them, next to the stack state, with drift flagged.
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { HostsDeployInputs } from "../contract/hosts-deploy";
import { freshServerPrefix, hostsDeployType, judgementType, loadBalancerType, memberType, processType, targetHealthType } from "../contract/tokens";
import { runtimeOf } from "./haproxy/runtime";
import { currentResources, fleetFromState, type ServerOutput } from "./release/fleet-state";
import { sshHttpGet } from "./ssh/http";

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
    /** A canary whose judgement stopped the last `up`: what failed, whether it is left out, how to roll it back. @default - none */
    readonly canary?: string;
    /** A hook that kept the server out at the last `up` (its membership recorded out): which, its exit, its output's last line. @default - none */
    readonly hook?: string;
    /** Why the state has the server out of the load balancer after a failed `up` (its deploy's, hook's, reattach's or judgement's failure). @default - none */
    readonly failure?: string;
    /** What to do next for a server the state has out of the load balancer. @default - nothing: it serves */
    readonly next?: string;
}

/**
 * What to do about a server the state has out of the load balancer, from what kept it out:
 * `deployFailure` (the membership's input), a hook's results, a stopping judgement, or no
 * membership at all. `stable` is the version to roll back to, when the fleet shows one.
 */
export function nextStep(server: string, version: string | undefined, why: { deployFailed: boolean; hookFailed: boolean; judged: boolean; member: boolean }, stable: string | undefined): string {
    const rollBack = `roll it back: lower canaryCount, or pin ${server}=${stable ?? "<stable version>"} (\`scripts/pulumi config set --path 'pins[0]' ${server}=${stable ?? "<stable version>"}\`), then \`scripts/pulumi up\``;
    if (why.judged) {
        return `${rollBack}; or accept its verdict (acceptVerdicts: ["${server}=${version}"]) and run \`scripts/pulumi up\``;
    }
    if (!why.member) {
        return `\`scripts/pulumi up\` reattaches it (after \`scripts/pulumi cancel --yes\` and \`scripts/pulumi refresh --yes\` if an up was interrupted); or ${rollBack}`;
    }
    if (why.deployFailed) {
        return `fix what made the deploy of ${version} fail and run \`scripts/pulumi up\` (it deploys it again); or ${rollBack}`;
    }
    if (why.hookFailed) {
        return `\`scripts/pulumi up\` runs the hook again and reattaches ${server} when it passes; or ${rollBack}`;
    }
    return `\`scripts/pulumi up\` reattaches it again; or ${rollBack}`;
}

/** The version the servers in the load balancer run other than `version`, when they agree on one: what a left-out server rolls back to. */
function stableBeside(fleet: readonly ServerOutput[], version: string | undefined): string | undefined {
    const others = [...new Set(fleet.filter((s) => s.inLoadBalancer && s.version !== version).map((s) => s.version))];
    return others.length === 1 ? others[0] : undefined;
}

/**
 * What status says of a membership whose create failed on a hook (recorded out of the load
 * balancer with the hooks' results by provider/haproxy/member.ts createWithHooks); undefined for
 * any other.
 */
export function hookNote(outputs: Record<string, any> | undefined): string | undefined {
    if (outputs?.inLoadBalancer !== false || !Array.isArray(outputs.hookResults) || outputs.hookResults.length === 0) {
        return undefined;
    }
    const failed = outputs.hookResults[outputs.hookResults.length - 1] as { hook: string; exitCode: number | null; outputTail?: string };
    const how = failed.exitCode === null ? "was killed or could not run" : `exited with ${failed.exitCode}`;
    const last = (failed.outputTail ?? "").trimEnd().split("\n").pop() ?? "";
    return `left out after its ${failed.hook} ${how}${outputs.version ? ` (${outputs.version})` : ""}${last ? `: ${last}` : ""}; the next up tries again`;
}

/** A judgement that stopped an `up` (kept in the state as failed to initialise by provider/canary/judgement.ts). */
interface StoppedJudgement {
    readonly canary: string;
    readonly version: string;
    readonly verdict: "fail" | "inconclusive";
    readonly failedChecks?: string[];
    readonly leftOut?: boolean;
    readonly baseline?: string[];
    readonly reportFile?: string;
}

function stoppedJudgements(resources: readonly ResourceState[]): StoppedJudgement[] {
    return resources
        .filter((r) => r.type === judgementType && (r.outputs?.verdict === "fail" || r.outputs?.verdict === "inconclusive"))
        .map((r) => r.outputs as StoppedJudgement);
}

/** What status says of a canary whose judgement stopped the last `up`. */
export function canaryNote(j: StoppedJudgement, stableVersion: string | undefined): string {
    const what = j.verdict === "fail" ? `failing canary: ${(j.failedChecks ?? []).join(", ") || "see its report"}` : "an inconclusive canary (stopWhenInconclusive)";
    const pin = `${j.canary}=${stableVersion ?? "<stable version>"}`;
    return `${j.leftOut ? "left out after" : "still serving after"} ${what} (${j.version}); roll it back with a lower canaryCount or pin ${pin}, or accept it with acceptVerdicts: ["${j.canary}=${j.version}"]${j.reportFile ? `; report: ${j.reportFile.replace(/\.json$/, ".html")}` : ""}`;
}

/** What a health check answered: the status, a header lookup and the body; or why there is no answer. */
export interface HealthAnswer {
    readonly status?: number;
    readonly header?: (name: string) => string | undefined;
    readonly body?: string;
    readonly error?: string;
}

/** A running app's version: its health answer's `version` (JSON) or `x-app-version` header; "healthy" when it says neither. */
export function versionOf(a: HealthAnswer): string {
    if (a.status === undefined) {
        return "not answering";
    }
    if (a.status < 200 || a.status > 299) {
        return `unhealthy (HTTP ${a.status})`;
    }
    let version = a.header?.("x-app-version");
    try {
        version = (JSON.parse(a.body ?? "") as { version?: string }).version ?? version;
    } catch {
        // not JSON: the header, if any, says it
    }
    return version ?? unreported;
}

/** The health check of a local process, asked from this machine. */
async function health(url: string | undefined): Promise<string> {
    if (!url) {
        return "unknown";
    }
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        return versionOf({ status: res.status, header: (n) => res.headers.get(n) ?? undefined, body: await res.text() });
    } catch {
        return "not answering";
    }
}

/** The health check of a server on the hosts target, asked from its own host over SSH. */
async function hostHealth(d: HostsDeployInputs | undefined): Promise<string> {
    if (!d?.ssh?.privateKey || !d.health) {
        return "unknown";
    }
    try {
        const a = await sshHttpGet(d.ssh, d.health.address, d.health.port, d.health.path, 3000);
        return versionOf({ ...a, header: (n) => [a.headers?.[n]].flat()[0] });
    } catch (e) {
        return `not reachable over SSH (${(e as Error).message.split("\n")[0]})`;
    }
}

/**
 * A value of `pulumi stack export --show-secrets` with its secrets revealed: the engine writes a
 * secret as {"<secret signature>": ..., "plaintext": "<JSON>"}. A secret still encrypted stays so.
 */
export function revealed(v: unknown): any {
    if (Array.isArray(v)) {
        return v.map(revealed);
    }
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[specialSigKey] === specialSecretSig && typeof o.plaintext === "string") {
            return revealed(JSON.parse(o.plaintext));
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revealed(x)]));
    }
    return v;
}

/** What status shows for a healthy app that does not report its version. */
const unreported = "healthy";

/** The stack's `servers` output: each server's version and membership as the last `up` left them. */
function stackServers(resources: readonly ResourceState[]): ServerOutput[] {
    const servers = resources.find((r) => r.type === stackType)?.outputs?.servers;
    return Array.isArray(servers) ? servers.filter((s): s is ServerOutput => typeof s?.name === "string") : [];
}

const stackType = "pulumi:pulumi:Stack";

/** Compares the state of a stack with its load balancer and servers (local default or AWS). */
export async function fleetStatus(all: readonly ResourceState[]): Promise<ServerStatus[]> {
    // an old resource the engine is about to delete, or deleted before its replacement, is not the fleet's
    const resources = currentResources(all);
    return resources.some((r) => r.type === targetHealthType) ? awsFleetStatus(resources) : localFleetStatus(resources);
}

/** A left-out server's failure and what to do next, from the checkpoint's view of the fleet (fleetFromState). */
function leftOut(server: string, fleet: readonly ServerOutput[], member: Record<string, any> | undefined, judged: boolean): Pick<ServerStatus, "failure" | "next"> {
    const f = fleet.find((s) => s.name === server);
    if (!f || f.inLoadBalancer) {
        return {};
    }
    const hookFailed = Array.isArray(member?.hookResults) && member.hookResults.some((h: { exitCode: number | null }) => h.exitCode !== 0);
    const next = nextStep(server, f.version, { deployFailed: typeof member?.deployFailure === "string", hookFailed, judged, member: member !== undefined }, stableBeside(fleet, f.version));
    return { ...(f.failure ? { failure: f.failure } : {}), next };
}

/**
 * The AWS target: the ALB's view of every target in the group (DescribeTargetHealth) beside the
 * memberships and versions in the state. The servers' own health is on private addresses,
 * unreachable from most places `zdr status` runs: the running version shows as "not checked".
 */
export async function awsFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const members = resources.filter((r) => r.type === targetHealthType);
    const servers = fleetFromState(stackServers(resources), resources);
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
        // `server` is a label of the TargetHealth; a resource created before it had one shows its target id
        const server = (m.outputs?.server as string | undefined) ?? String(m.outputs?.targetId);
        const out = servers.find((s) => s.name === server);
        // "absent": the state names it, the group no longer lists it
        const lbStatus = seen.get(m.outputs?.targetId as string) ?? "absent";
        const hook = hookNote(m.outputs);
        const left = leftOut(server, servers, m.outputs, false);
        if (out && !out.inLoadBalancer) {
            const drift = lbStatus === "healthy" ? [`the ALB sends it traffic though the state has it out`] : [];
            return { server, stateVersion: out.version, runningVersion: "not checked", stateMember: false, lbStatus, drift, ...(hook ? { hook } : {}), ...left };
        }
        const drift = lbStatus === "healthy" ? [] : [`the state has it in the load balancer, the ALB says ${lbStatus}`];
        return { server, stateVersion: out?.version, runningVersion: "not checked", stateMember: true, lbStatus, drift };
    });
    const known = new Set(members.map((m) => m.outputs?.targetId as string));
    for (const [id, state] of seen) {
        if (!known.has(id) && state !== "unused") {
            rows.push({ server: id, runningVersion: "not checked", stateMember: false, lbStatus: state, drift: ["the ALB sends it traffic without a membership in the state"] });
        }
    }
    return rows.sort((a, b) => a.server.localeCompare(b.server));
}

/** Compares the state of a stack on the local default or the hosts target with HAProxy and the running servers. */
export async function localFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
    const stateServers = fleetFromState(stackServers(resources), resources);
    // a server's deploy: a local process whose events are about it (the database's process has
    // none), or a deploy on a host over SSH (the hosts target)
    const deploys = resources
        .filter((r) => (r.type === processType && typeof r.outputs?.events?.server === "string") || r.type === hostsDeployType)
        .map((r) => ({ ...r, outputs: revealed(r.outputs) }));
    const serverOf = (d: ResourceState) => (d.outputs?.events?.server ?? d.outputs?.server) as string | undefined;
    const members = resources.filter((r) => r.type === memberType);
    const haproxy = resources.find((r) => r.type === loadBalancerType);
    const socket: string | undefined = members[0]?.outputs?.runtimeApi ?? haproxy?.outputs?.runtimeApi;
    const backend: string | undefined = members[0]?.outputs?.backend ?? haproxy?.outputs?.backend;
    // on the hosts target HAProxy's admin socket is on its own host, reached over SSH as the members reach it
    const ssh = members.map((m) => revealed(m.outputs?.ssh)).find((x) => x?.privateKey);
    const runtime = socket ? runtimeOf({ runtimeApi: socket, ssh }) : undefined;
    const lb = runtime && backend ? await runtime.serverStats(backend).catch(() => []) : [];
    const servers = [...new Set([...stateServers.map((s) => s.name), ...members.map((m) => m.outputs?.server as string), ...lb.map((s) => s.server)])].filter(Boolean).sort();
    const stopped = stoppedJudgements(resources);
    return Promise.all(
        servers.map(async (server) => {
            // the checkpoint's view (fleetFromState): the membership's own outputs are newer than
            // the stack's outputs after a failed or interrupted up, and a refresh drops a
            // membership HAProxy took away
            const out = stateServers.find((s) => s.name === server);
            const deploy = deploys.find((d) => serverOf(d) === server);
            const member = members.find((m) => m.outputs?.server === server);
            const stateVersion = out?.version;
            const hook = hookNote(member?.outputs);
            const stateMember = out?.inLoadBalancer ?? false;
            // env is a secret in the state (it carries the database password); the health URL is not
            const runningVersion = deploy?.type === hostsDeployType ? await hostHealth(deploy.outputs as HostsDeployInputs) : await health(deploy?.outputs?.healthUrl);
            const lbStatus = lb.find((s) => s.server === server)?.status ?? "absent";
            const judged = stopped.find((j) => j.canary === server && j.version === stateVersion);
            const stable = members.find((m) => judged?.baseline?.includes(m.outputs?.server as string))?.outputs?.version as string | undefined;
            const drift: string[] = [];
            // a deploy that failed left nothing running
            const deployFailed = typeof member?.outputs?.deployFailure === "string" || typeof deploy?.outputs?.failure === "string";
            if (stateVersion !== undefined && runningVersion !== stateVersion && runningVersion !== unreported && !(deployFailed && runningVersion === "not answering")) {
                drift.push(`state says ${stateVersion}, the server answers ${runningVersion}`);
            }
            // a failing canary left out is in MAINT on purpose
            if (stateMember && lbStatus !== "UP" && !(judged?.leftOut && lbStatus === "MAINT")) {
                drift.push(`the state has it in the load balancer, HAProxy says ${lbStatus}`);
            }
            // a canary's fresh baseline is in HAProxy for the bake only (provider/canary/fresh-baseline.ts)
            if (!stateMember && lbStatus.startsWith("UP") && !server.startsWith(freshServerPrefix)) {
                drift.push(member ? "HAProxy sends it traffic though the state has it out" : "HAProxy sends it traffic without a membership in the state");
            }
            const left = deploy || member ? leftOut(server, stateServers, member?.outputs, judged !== undefined) : {};
            return { server, stateVersion, runningVersion, stateMember, lbStatus, drift, ...(judged ? { canary: canaryNote(judged, stable) } : {}), ...(hook ? { hook } : {}), ...left };
        }),
    );
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
