// `zdr status` where HAProxy balances the load (the local default and the hosts target): HAProxy's
// view of each server over its admin socket (over SSH on the hosts target) beside the state, and
// each server's own health check.
import type { HostsDeployInputs } from "../../contract/hosts-deploy";
import { freshServerPrefix, hostsDeployType, loadBalancerType, memberType, processType } from "../../contract/tokens";
import { hostHealth } from "../../targets/hosts/status";
import { runtimeOf } from "../haproxy/runtime";
import { fleetFromState } from "../release/fleet-state";
import { canaryNote, health, hookNote, leftOut, type ResourceState, revealed, type ServerStatus, stackServers, stoppedJudgements, unreported } from "./rows";

/** Compares the state of a stack on the local default or the hosts target with HAProxy and the running servers. */
export async function haproxyFleetStatus(resources: readonly ResourceState[]): Promise<ServerStatus[]> {
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

