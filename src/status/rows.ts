// What `zdr status` shows of each server and the pieces every target's reader shares: the state's
// resources, the stack's servers output, a left-out server's note and next step, a health answer.
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { judgementType } from "../../contract/tokens";
import { type ServerOutput } from "../release/fleet-state";

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
export function stableBeside(fleet: readonly ServerOutput[], version: string | undefined): string | undefined {
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
export interface StoppedJudgement {
    readonly canary: string;
    readonly version: string;
    readonly verdict: "fail" | "inconclusive";
    readonly failedChecks?: string[];
    readonly leftOut?: boolean;
    readonly baseline?: string[];
    readonly reportFile?: string;
}

export function stoppedJudgements(resources: readonly ResourceState[]): StoppedJudgement[] {
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
export async function health(url: string | undefined): Promise<string> {
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
export const unreported = "healthy";

/** The stack's `servers` output: each server's version and membership as the last `up` left them. */
export function stackServers(resources: readonly ResourceState[]): ServerOutput[] {
    const servers = resources.find((r) => r.type === stackType)?.outputs?.servers;
    return Array.isArray(servers) ? servers.filter((s): s is ServerOutput => typeof s?.name === "string") : [];
}

export const stackType = "pulumi:pulumi:Stack";

/** A left-out server's failure and what to do next, from the checkpoint's view of the fleet (fleetFromState). */
export function leftOut(server: string, fleet: readonly ServerOutput[], member: Record<string, any> | undefined, judged: boolean): Pick<ServerStatus, "failure" | "next"> {
    const f = fleet.find((s) => s.name === server);
    if (!f || f.inLoadBalancer) {
        return {};
    }
    const hookFailed = Array.isArray(member?.hookResults) && member.hookResults.some((h: { exitCode: number | null }) => h.exitCode !== 0);
    const next = nextStep(server, f.version, { deployFailed: typeof member?.deployFailure === "string", hookFailed, judged, member: member !== undefined }, stableBeside(fleet, f.version));
    return { ...(f.failure ? { failure: f.failure } : {}), next };
}

