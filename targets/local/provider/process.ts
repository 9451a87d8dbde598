// zdr:local:Process — a long-running process on this machine, started detached so that it
// outlives the provider, identified by pid *and* start time so that a reused pid is never
// signalled, and stopped gracefully (SIGTERM, then SIGKILL after the stop timeout).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pollUntil } from "../../../src/poll";
import type * as provider from "@pulumi/pulumi/provider";
import { packageRoot } from "../../../src/package-root";
import { diffReplacingAll } from "../../../provider/diff";
import { recordEvent } from "../../../provider/events";
import type { ProcessInputs, ProcessOutputs } from "../../../contract/process";

export { processType } from "../../../contract/tokens";

/** Log files rotate at 64 MiB, four older ones kept. */
export const defaultLogRotation = { maxBytes: 64 * 1024 * 1024, keep: 4 } as const;

/** Start time of a live pid, or undefined when no such process exists (or it is a zombie). */
export function processStartTicks(pid: number): string | undefined {
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") {
        return undefined;
    }
    return fields[19];
}

export function isSameProcessAlive(pid: number, startTicks: string): boolean {
    return processStartTicks(pid) === startTicks;
}

function tcpAccepts(hostPort: string): Promise<void> {
    const [host, port] = hostPort.split(":");
    return new Promise((resolve, reject) => {
        const s = net.connect(Number(port), host);
        s.setTimeout(1000, () => s.destroy(new Error("timeout")));
        s.once("connect", () => {
            s.destroy();
            resolve();
        });
        s.once("error", reject);
    });
}

async function httpOk(url: string): Promise<void> {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) {
        throw new Error(`HTTP ${res.status}`);
    }
}

async function waitReady(label: string, what: string, probe: () => Promise<void>, timeoutMs: number, pid: number, startTicks: string, logFile: string) {
    let last = "no answer yet";
    const ready = await pollUntil(async () => {
        if (!isSameProcessAlive(pid, startTicks)) {
            throw new Error(`${label}: process ${pid} exited before ${what} became ready; see ${logFile}`);
        }
        try {
            await probe();
            return true;
        } catch (e) {
            last = (e as Error).message;
            return undefined;
        }
    }, { timeoutMs, intervalMs: 100 });
    if (ready) {
        return;
    }
    throw new Error(`${label}: health check ${what} failed for ${timeoutMs} ms (last: ${last}); see ${logFile}`);
}

/** host:port of the readiness probes: the TCP address and the health URL's. */
export function readinessAddresses(inputs: Pick<ProcessInputs, "readyTcp" | "healthUrl">): string[] {
    const out: string[] = [];
    if (inputs.readyTcp) {
        out.push(inputs.readyTcp);
    }
    if (inputs.healthUrl) {
        const url = new URL(inputs.healthUrl);
        out.push(`${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`);
    }
    return out;
}

/**
 * A readiness probe only proves something if nothing answered on its address before the process
 * started: another process on the port (a server left running, a second stack on the same ports)
 * would pass the probe while the new process fails to bind. Refused before anything starts.
 */
async function assertAddressesFree(label: string, addresses: readonly string[]): Promise<void> {
    for (const hostPort of addresses) {
        const taken = await tcpAccepts(hostPort).then(() => true, () => false);
        if (taken) {
            const port = hostPort.slice(hostPort.lastIndexOf(":") + 1);
            throw new Error(
                `${label}: ${hostPort} already accepts connections before the process starts, so its readiness check would be ` +
                `answered by another process (see which: ss -ltnp 'sport = :${port}'); stop that process or give this one another port`,
            );
        }
    }
}

export async function startProcess(inputs: ProcessInputs): Promise<ProcessOutputs> {
    if (!Array.isArray(inputs.command) || inputs.command.length === 0) {
        throw new Error("command must be a non-empty argv array");
    }
    await assertAddressesFree(inputs.label ?? inputs.command.join(" "), readinessAddresses(inputs));
    recordEvent(inputs.events, "deploy", "start");
    for (const [file, content] of Object.entries(inputs.files ?? {})) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
    }
    fs.mkdirSync(path.dirname(inputs.logFile), { recursive: true });
    const rotation = inputs.logRotation === undefined ? defaultLogRotation : inputs.logRotation;
    let log: number | undefined;
    let writer: ReturnType<typeof spawn> | undefined;
    if (rotation) {
        // The writer outlives the provider as the process does, and ends with the process's output.
        writer = spawn(process.execPath, [path.join(packageRoot, "scripts/local/log-writer.js"), inputs.logFile, String(rotation.maxBytes), String(rotation.keep)], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
        await new Promise<void>((resolve, reject) => {
            writer?.once("spawn", resolve);
            writer?.once("error", (e) => reject(new Error(`could not start the log writer of ${inputs.logFile}: ${e.message}`)));
        });
        writer.unref();
    } else {
        log = fs.openSync(inputs.logFile, "a");
    }
    const out = writer?.stdin ?? (log as number);
    const child = spawn(inputs.command[0], inputs.command.slice(1), {
        cwd: inputs.cwd,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", ...inputs.env },
        detached: true,
        stdio: ["ignore", out, out],
    });
    if (log !== undefined) {
        fs.closeSync(log);
    }
    // the process (and its children) hold the pipe now; ours closes
    writer?.stdin?.destroy();
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (e) => reject(new Error(`could not start ${inputs.command[0]}: ${e.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    let startTicks: string | undefined;
    for (let i = 0; i < 50 && startTicks === undefined; i++) {
        startTicks = processStartTicks(pid);
        if (startTicks === undefined) {
            await sleep(10);
        }
    }
    if (startTicks === undefined) {
        throw new Error(`process ${pid} (${inputs.command.join(" ")}) exited at once; see ${inputs.logFile}`);
    }
    const timeoutMs = inputs.healthTimeoutMs ?? 15000;
    const label = inputs.label ?? inputs.command.join(" ");
    try {
        if (inputs.readyTcp) {
            const hostPort = inputs.readyTcp;
            await waitReady(label, hostPort, () => tcpAccepts(hostPort), timeoutMs, pid, startTicks, inputs.logFile);
        }
        if (inputs.healthUrl) {
            const url = inputs.healthUrl;
            await waitReady(label, url, () => httpOk(url), timeoutMs, pid, startTicks, inputs.logFile);
        }
    } catch (e) {
        await stopProcess(pid, startTicks, 2000, "SIGKILL");
        throw e;
    }
    recordEvent(inputs.events, "deploy", "end");
    return { ...inputs, pid, startTicks };
}

/**
 * The stop signal, wait up to stopTimeoutMs, then SIGKILL and wait (up to 2 s) until it is gone.
 * A process already gone is fine.
 */
export async function stopProcess(
    pid: number,
    startTicks: string,
    stopTimeoutMs: number,
    signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
    if (!isSameProcessAlive(pid, startTicks)) {
        return;
    }
    process.kill(pid, signal);
    const gone = () => (isSameProcessAlive(pid, startTicks) ? undefined : true);
    if (await pollUntil(gone, { timeoutMs: stopTimeoutMs, intervalMs: 50 })) {
        return;
    }
    if (isSameProcessAlive(pid, startTicks)) {
        process.kill(pid, "SIGKILL");
    }
    // SIGKILL is not instant: return once the process is gone (and its ports are free), bounded.
    await pollUntil(gone, { timeoutMs: 2000, intervalMs: 20, maxPolls: 100 });
}

export const processProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "delete">> = {
    async diff(_id, _urn, olds: ProcessOutputs, news: ProcessInputs) {
        // recordFailure alone changes nothing that runs
        const diff = diffReplacingAll(olds, news, ["pid", "startTicks", "logRotation", "failure", "recordFailure"]);
        // a recorded failed start is started again
        return olds.failure === undefined ? diff : { changes: true, replaces: [...(diff.replaces ?? []), "failure"] };
    },
    async create(_urn, inputs: ProcessInputs) {
        try {
            const outs = await startProcess(inputs);
            return { id: String(outs.pid), outs };
        } catch (e) {
            if (!inputs.recordFailure) {
                throw e;
            }
            // startProcess stops what it started before it throws
            const outs: ProcessOutputs = { ...inputs, pid: 0, startTicks: "", failure: (e as Error).message };
            return { id: `failed-${Date.now()}`, outs };
        }
    },
    async read(id, _urn, props?: ProcessOutputs) {
        // A refresh of a process that is gone drops it from the state.
        if (!props || !isSameProcessAlive(props.pid, props.startTicks)) {
            return { id: "", props: {} };
        }
        return { id, props };
    },
    async delete(_id, _urn, props: ProcessOutputs) {
        await stopProcess(props.pid, props.startTicks, props.stopTimeoutMs ?? 10000, props.stopSignal ?? "SIGTERM");
    },
};
