// zdr:hosts:Deploy — a version running on a host that zdr reaches over SSH (the hosts target).
// create  = the team's deploy command on the host (installs and starts the version, replacing
//           whatever ran before), then a bounded health poll from the host itself to the app's
//           address:port. A non-zero exit (or no SSH connection) is recorded as the deploy's
//           `failure`, with the command's stderr; a failed health poll runs the stop command and
//           is recorded the same way: the server stays out of the load balancer (its membership
//           was deleted first, and does not reattach a failed deploy) while the others serve.
//           The create itself succeeds, so that the engine never stops while the other servers
//           of the batch are moving; the batch's check fails the `up` (docs/release-graph.md).
// delete  = the team's stop command on the host; a non-zero exit fails (the state keeps it),
//           except for a failed deploy, whose stop is tried and may fail.
// read    = the health check: a refresh drops a deploy whose app no longer answers.
// update  = only the SSH connection settings (a new key, new known hosts) change in place.
// The SSH private key is in `ssh`, which the program marks secret in the state.
import { pollUntil } from "../../../src/poll";
import type * as provider from "@pulumi/pulumi/provider";
import { describeHost, redact, sshRun } from "../../../src/ssh/client";
import { sshHttpGet } from "../../../src/ssh/http";
import { changedKeys } from "../../../provider/diff";
import { recordEvent } from "../../../provider/events";
import type { HostsDeployInputs, HostsDeployOutputs } from "../../../contract/hosts-deploy";

export { hostsDeployType } from "../../../contract/tokens";

/** The last lines of a command's stderr (else stdout), for an error message. */
function tail(text: string, lines = 20): string {
    const t = text.trimEnd().split("\n").slice(-lines).join("\n");
    return t === "" ? "(no output)" : t;
}

async function pollHealth(d: HostsDeployInputs): Promise<string | undefined> {
    const h = d.health;
    const url = `http://${h.address}:${h.port}${h.path}`;
    let last = "no answer yet";
    const healthy = await pollUntil(async ({ remainingMs }) => {
        const r = await sshHttpGet(d.ssh, h.address, h.port, h.path, Math.max(500, Math.min(2000, remainingMs)));
        if (r.status !== undefined && r.status >= 200 && r.status < 300) {
            return true;
        }
        last = r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? "no answer");
        return undefined;
    }, { timeoutMs: h.timeoutMs, intervalMs: h.intervalMs });
    if (healthy) {
        return undefined;
    }
    return `server ${d.server} (${d.version}): health check ${url} on the host failed for ${h.timeoutMs} ms (last: ${last})`;
}

export async function deployOnHost(d: HostsDeployInputs): Promise<void> {
    const timeoutMs = d.commandTimeoutMs ?? 300_000;
    const where = describeHost(d.ssh);
    recordEvent(d.events, "deploy", "start");
    const r = await sshRun(d.ssh, d.deployCommand, { timeoutMs }).catch((e: Error) => {
        throw new Error(`deploy of ${d.server} (${d.version}): ${e.message}\n${d.server} stays out of the load balancer; the next \`up\` runs the deploy again`);
    });
    if (r.exitCode !== 0) {
        const how = r.exitCode === null ? `ended on signal ${r.signal ?? "?"}` : `exited with ${r.exitCode}`;
        throw new Error(redact(
            `deploy of ${d.server} (${d.version}) on ${where}: \`${d.deployCommand}\` ${how}; its stderr:\n${tail(r.stderr || r.stdout)}\n${d.server} stays out of the load balancer`,
            d.ssh,
        ));
    }
    const unhealthy = await pollHealth(d);
    if (unhealthy) {
        const stop = await sshRun(d.ssh, d.stopCommand, { timeoutMs }).then(
            (s) => (s.exitCode === 0 ? "the stop command ran" : `the stop command exited with ${s.exitCode}: ${tail(s.stderr, 5)}`),
            (e: Error) => `the stop command could not run: ${e.message}`,
        );
        throw new Error(`${unhealthy}; ${stop}; ${d.server} stays out of the load balancer`);
    }
    recordEvent(d.events, "deploy", "end");
}

export async function stopOnHost(d: HostsDeployInputs): Promise<void> {
    const r = await sshRun(d.ssh, d.stopCommand, { timeoutMs: d.commandTimeoutMs ?? 300_000 });
    if (r.exitCode !== 0) {
        throw new Error(redact(`stop of ${d.server} (${d.version}) on ${describeHost(d.ssh)}: \`${d.stopCommand}\` exited with ${r.exitCode}; its stderr:\n${tail(r.stderr || r.stdout)}`, d.ssh));
    }
}

/** Inputs whose change is applied in place: how zdr reaches the host, not what runs there. */
const inPlace = ["ssh", "commandTimeoutMs", "health", "events", "stopCommand"];

export const hostsDeployProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: HostsDeployOutputs, news: HostsDeployInputs) {
        const changed = changedKeys(olds, news, ["failure"]);
        // a failed deploy is deployed again
        const replaces = [...changed.filter((k) => !inPlace.includes(k)), ...(olds.failure !== undefined ? ["failure"] : [])];
        return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(_urn, inputs: HostsDeployInputs) {
        // one id per deployment (a canary's verdict stands for its deployment: a redeploy of the
        // same version after a rollback is judged anew)
        const id = `${inputs.server}@${inputs.ssh.host}#${Date.now()}`;
        try {
            await deployOnHost(inputs);
        } catch (e) {
            const outs: HostsDeployOutputs = { ...inputs, failure: redact((e as Error).message, inputs.ssh) };
            return { id, outs };
        }
        return { id, outs: inputs };
    },
    async read(id, _urn, props?: HostsDeployInputs) {
        if (!props) {
            return { id, props: {} };
        }
        const h = props.health;
        const r = await sshHttpGet(props.ssh, h.address, h.port, h.path, 2000);
        return r.status !== undefined && r.status >= 200 && r.status < 300 ? { id, props } : { id: "", props: {} };
    },
    async update(_id, _urn, _olds: HostsDeployInputs, news: HostsDeployInputs) {
        return { outs: news };
    },
    async delete(_id, _urn, props: HostsDeployOutputs) {
        if (props.failure === undefined) {
            await stopOnHost(props);
            return;
        }
        // a failed deploy left the host in an unknown state: stop what may run, as far as it can
        await stopOnHost(props).catch((e: Error) => console.error(`zdr: ${e.message} (after a failed deploy; going on)`));
    },
};
