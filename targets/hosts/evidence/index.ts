// The hosts target's canary evidence: HAProxy's request log on its host and each server's own log
// on its host, read over SSH into copies on this machine (each catch-up appends what is new), and
// the team's Prometheus (zdr:prometheusUrl), each server's `{instance}` its host's node_exporter
// (../metrics.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CanaryEvidenceInputs } from "../../canary-evidence";
import { LogMirror, RemoteRunner } from "../../../src/canary/remote-log";
import { type CanarySources, prometheusMetrics } from "../../../src/canary/sources";
import { describeHost, sshReadOutput } from "../../../src/ssh/client";
import type { SshHost } from "../../../contract/ssh";
import { hostAppLogMirror } from "./app-log";

/** A command over SSH on the host, bounded (at least 10 s, or the connection's own time-out). */
function runner(ssh: SshHost): RemoteRunner {
    const timeoutMs = Math.max(10_000, ssh.connectTimeoutMs ?? 0);
    return (command, maxBytes) => sshReadOutput(ssh, command, { timeoutMs, maxBytes });
}

/**
 * `copies`: the path the copies' names start with (the bake: its report's, "<report>.haproxy.log"
 * and "<report>.<server>.app.log"; `zdr watch`: a folder of its own, never the bake's files).
 */
export function hostsCanarySources(i: CanaryEvidenceInputs, copies: string): CanarySources {
    const remote = i.remoteRequestLog;
    if (!remote) {
        throw new Error(`judgement of ${i.canary}: remoteRequestLog is not set`);
    }
    fs.mkdirSync(path.dirname(copies), { recursive: true });
    const requestLog = new LogMirror(runner(remote.ssh), remote.file, `${copies}.haproxy.log`, undefined, describeHost(remote.ssh));
    const appLogs: Record<string, string> = {};
    const mirrors: { catchUp(rounds?: number): Promise<void> }[] = [requestLog];
    for (const server of [i.canary, ...i.baseline]) {
        const log = i.hostAppLogs?.[server];
        if (log) {
            appLogs[server] = `${copies}.${server}.app.log`;
            mirrors.push(hostAppLogMirror(runner(log.ssh), log, appLogs[server], describeHost(log.ssh)));
        }
    }
    return {
        requests: {
            kind: "live",
            requestLog: requestLog.localFile,
            ...(i.hostAppLogs ? { appLogs } : {}),
            catchUp: async (rounds) => void (await Promise.all(mirrors.map((m) => m.catchUp(rounds)))),
        },
        ...prometheusMetrics(i.prometheus),
    };
}
