// `zdr status` on the hosts target: a server's health check, asked from its own host over SSH
// (HAProxy's view is read as on the local default: src/status/haproxy.ts).
import type { HostsDeployInputs } from "../../contract/hosts-deploy";
import { sshHttpGet } from "../../src/ssh/http";
import { versionOf } from "../../src/status/rows";

/** The health check of a server on the hosts target, asked from its own host over SSH. */
export async function hostHealth(d: HostsDeployInputs | undefined): Promise<string> {
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

