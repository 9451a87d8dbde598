// zdr:haproxy:LoadBalancer — HAProxy in master-worker mode (`haproxy -W -S <master socket>`).
// create  = start it with the base configuration and no server (zdr:haproxy:Server adds them).
// update  = a change of the configuration: a hitless reload. The provider writes the base
//           configuration plus a `server` line for every server the running HAProxy has (dynamic
//           servers are not carried over otherwise), checks it with `haproxy -c`, saves every
//           server's state to the server-state-file, and asks the master to reload. The new worker
//           takes over the listening sockets from the old one (the master passes them) and loads
//           the states; the old worker finishes its connections and exits.
// replace = any other change, e.g. another HAProxy version (a restart: the servers and their
//           memberships are replaced with it, so they are added and reattached again).
// delete  = soft stop (SIGUSR1: the workers finish their connections), then SIGKILL to the
//           whole process group after the stop timeout: no worker is left behind.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { pollUntil } from "../../src/poll";
import type * as provider from "@pulumi/pulumi/provider";
import { withServers } from "../../src/haproxy/config";
import { HaproxyMaster, HaproxyProc, HaproxyRuntime } from "../../src/haproxy/runtime";
import { changedKeys } from "../diff";
import { isSameProcessAlive, startProcess } from "../../targets/local/provider/process";
import type { LoadBalancerInputs, LoadBalancerOutputs } from "../../contract/haproxy";

export { loadBalancerType } from "../../contract/tokens";

/** Is the HAProxy named by an identity (`<pid>:<startTicks>`) still running? */
export function loadBalancerAlive(identity: string | undefined): boolean {
    const m = /^(\d+):(\d+)$/.exec(identity ?? "");
    return m !== null && isSameProcessAlive(Number(m[1]), m[2]);
}

function haproxyCheck(file: string): Promise<void> {
    return new Promise((resolve, reject) =>
        execFile("haproxy", ["-c", "-f", file], { timeout: 15000 }, (err, stdout, stderr) =>
            err ? reject(new Error(`HAProxy rejects the new configuration (nothing changed): ${`${stderr}${stdout}`.trim() || err.message}`)) : resolve(),
        ),
    );
}

/**
 * The current worker's pid, once the master lists one not in `notIn` and the admin socket
 * answers from it. Fails at once when the master counts more failed reloads than `failedBefore`.
 */
async function currentWorker(lb: LoadBalancerInputs, notIn: readonly number[], failedBefore: number): Promise<number> {
    const master = new HaproxyMaster(lb.masterSocket);
    const api = new HaproxyRuntime(lb.runtimeApi);
    const timeoutMs = lb.readyTimeoutMs ?? 15000;
    let last = "";
    const pid = await pollUntil(async () => {
        let procs: HaproxyProc[] | undefined;
        try {
            procs = await master.processes();
            const worker = procs.find((p) => p.type === "worker" && p.current && !notIn.includes(p.pid));
            if (worker && new RegExp(`^Pid: ${worker.pid}$`, "m").test(await api.command("show info"))) {
                return worker.pid;
            }
        } catch (e) {
            last = (e as Error).message;
        }
        if ((procs?.find((p) => p.type === "master")?.failedReloads ?? 0) > failedBefore) {
            throw new Error(`HAProxy's master reports a failed reload; it still runs the previous configuration (see ${lb.logFile})`);
        }
        return undefined;
    }, { timeoutMs, intervalMs: 50 });
    if (pid !== undefined) {
        return pid;
    }
    throw new Error(`HAProxy did not bring up a new worker within ${timeoutMs} ms (see ${lb.logFile})${last ? `; last: ${last}` : ""}`);
}

export async function startLoadBalancer(lb: LoadBalancerInputs): Promise<LoadBalancerOutputs> {
    fs.rmSync(lb.stateFile, { force: true }); // a new HAProxy starts with no server: nothing to restore
    const timeoutMs = lb.readyTimeoutMs ?? 15000;
    const started = await startProcess({
        command: ["haproxy", "-W", "-db", "-S", lb.masterSocket, "-f", lb.configFile],
        files: { [lb.configFile]: withServers(lb.config, lb.backend, []) },
        logFile: lb.logFile,
        label: "HAProxy",
        readyTcp: lb.readyTcp,
        healthTimeoutMs: timeoutMs,
    });
    const outs = { ...lb, pid: started.pid, startTicks: started.startTicks, identity: `${started.pid}:${started.startTicks}` };
    try {
        await currentWorker(lb, [], 0);
    } catch (e) {
        await stopLoadBalancer(outs, 2000);
        throw e;
    }
    return outs;
}

/**
 * The hitless reload. Every server the running HAProxy has is written into the new
 * configuration, its state into the server-state-file; afterwards the same servers must be
 * there in the same administrative state (ready, drain, maintenance), or the update fails.
 */
export async function reloadLoadBalancer(olds: LoadBalancerOutputs, news: LoadBalancerInputs): Promise<LoadBalancerOutputs> {
    if (!isSameProcessAlive(olds.pid, olds.startTicks)) {
        throw new Error(`HAProxy (pid ${olds.pid}) is not running, so it cannot be reloaded; \`pulumi refresh\` drops it and the next \`up\` starts it`);
    }
    const api = new HaproxyRuntime(news.runtimeApi);
    const master = new HaproxyMaster(news.masterSocket);
    const before = await api.serversState(news.backend);
    const candidate = `${news.configFile}.new`;
    fs.writeFileSync(candidate, withServers(news.config, news.backend, before));
    try {
        await haproxyCheck(candidate);
    } catch (e) {
        fs.rmSync(candidate, { force: true });
        throw e;
    }
    const procs = await master.processes();
    const failedBefore = procs.find((p) => p.type === "master")?.failedReloads ?? 0;
    const oldWorkers = procs.filter((p) => p.type === "worker").map((p) => p.pid);
    fs.writeFileSync(news.stateFile, await api.serversStateText());
    fs.renameSync(candidate, news.configFile);
    await master.reload();
    await currentWorker(news, oldWorkers, failedBefore);
    const after = await api.serversState(news.backend);
    const lost = before.filter((b) => !after.some((a) => a.server === b.server && (a.adminState & 0x09) === (b.adminState & 0x09)));
    if (lost.length > 0) {
        throw new Error(`HAProxy's reload did not keep the state of ${lost.map((l) => `${news.backend}/${l.server}`).join(", ")}; \`zdr status\` shows what it has now`);
    }
    return { ...news, pid: olds.pid, startTicks: olds.startTicks, identity: olds.identity };
}

function groupAlive(pgid: number): boolean {
    try {
        process.kill(-pgid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Soft stop, then SIGKILL to the process group (the master and its workers) after stopTimeoutMs. */
export async function stopLoadBalancer(lb: Pick<LoadBalancerOutputs, "pid" | "startTicks">, stopTimeoutMs: number): Promise<void> {
    if (isSameProcessAlive(lb.pid, lb.startTicks)) {
        process.kill(lb.pid, "SIGUSR1");
        await pollUntil(() => (isSameProcessAlive(lb.pid, lb.startTicks) ? undefined : true), { timeoutMs: stopTimeoutMs, intervalMs: 50 });
        if (isSameProcessAlive(lb.pid, lb.startTicks)) {
            process.kill(-lb.pid, "SIGKILL");
        }
    }
    // Workers left by a master that died on its own are still in its process group (started
    // detached, the group is the master's pid), unless that pid now names another process.
    if (!fs.existsSync(`/proc/${lb.pid}`) && groupAlive(lb.pid)) {
        process.kill(-lb.pid, "SIGKILL");
    }
}

export const loadBalancerProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: LoadBalancerOutputs, news: LoadBalancerInputs) {
        const changed = changedKeys(olds, news, ["pid", "startTicks", "identity"]);
        const replaces = changed.filter((k) => k !== "config" && k !== "readyTimeoutMs" && k !== "stopTimeoutMs");
        return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(_urn, inputs: LoadBalancerInputs) {
        const outs = await startLoadBalancer(inputs);
        return { id: String(outs.pid), outs };
    },
    async read(id, _urn, props?: LoadBalancerOutputs) {
        if (!props || !isSameProcessAlive(props.pid, props.startTicks)) {
            return { id: "", props: {} };
        }
        return { id, props };
    },
    async update(_id, _urn, olds: LoadBalancerOutputs, news: LoadBalancerInputs) {
        if (olds.config === news.config) {
            return { outs: { ...news, pid: olds.pid, startTicks: olds.startTicks, identity: olds.identity } };
        }
        return { outs: await reloadLoadBalancer(olds, news) };
    },
    async delete(_id, _urn, props: LoadBalancerOutputs) {
        await stopLoadBalancer(props, props.stopTimeoutMs ?? 10000);
    },
};
