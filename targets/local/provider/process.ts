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
import type { EventSink } from "../../../contract/events";
import type { StopSignal } from "../../../src/release/app-config";

export { processType } from "../../../contract/tokens";

/** Log files rotate at 64 MiB, four older ones kept. */
export const defaultLogRotation = { maxBytes: 64 * 1024 * 1024, keep: 4 } as const;

export interface ProcessInputs {
    /** argv of the process; the first element is looked up on PATH. */
    readonly command: string[];
    /** Environment of the process; of the provider's own, only PATH and HOME are inherited. @default - PATH and HOME only */
    readonly env?: Record<string, string>;
    /** Working directory. @default - the provider's */
    readonly cwd?: string;
    /** stdout and stderr are appended here. */
    readonly logFile: string;
    /**
     * The log file rotates at this size, keeping this many older files (`<logFile>.1` the newest),
     * written by scripts/local/log-writer.js; `false` appends to one file for ever. Not part of
     * the diff: a change applies at the process's next start. @default { maxBytes: 67108864, keep: 4 }
     */
    readonly logRotation?: { readonly maxBytes: number; readonly keep: number } | false;
    /** Names the process in messages, e.g. "server web-1 (v2)". @default - its argv */
    readonly label?: string;
    /** Files written before the start (path to content), e.g. a configuration file. @default - none */
    readonly files?: Record<string, string>;
    /** Polled after start until it answers 2xx; the create fails if it does not. @default - no health check */
    readonly healthUrl?: string;
    /** `host:port` polled after start until it accepts a TCP connection. @default - none */
    readonly readyTcp?: string;
    /** @default 15000 */
    readonly healthTimeoutMs?: number;
    /** Time between the stop signal and SIGKILL when the process is stopped. @default 10000 */
    readonly stopTimeoutMs?: number;
    /** @default "SIGTERM" */
    readonly stopSignal?: StopSignal;
    /** Records `deploy` start and end of this process's start. @default - no events */
    readonly events?: EventSink;
    /** Any change replaces the process, like `triggers` of @pulumi/command. @default - none */
    readonly triggers?: unknown[];
    /**
     * A start that fails (not healthy in time, exited, its port taken) is recorded instead of
     * failing the create: nothing is left running, the outputs say `failure`, and the next `up`
     * replaces it (starts it again). A fleet's deploys set it, so that one server's failure never
     * stops the engine while the other servers of its batch are still moving; the batch's check
     * (zdr:release:BatchCheck) fails the `up` once all of them finished (docs/release-graph.md).
     * @default false - a failed start fails the create
     */
    readonly recordFailure?: boolean;
}

export interface ProcessOutputs extends ProcessInputs {
    /** 0 after a failed start (recordFailure). */
    readonly pid: number;
    /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat); "" after a failed start. */
    readonly startTicks: string;
    /** Why the start failed, when it did and `recordFailure` is set; nothing of it runs. @default - it started */
    readonly failure?: string;
}

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
