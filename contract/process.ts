// zdr:local:Process's and zdr:local:ScrapeTarget's inputs and outputs (targets/local/provider/), the program's args derived from them (resources/).
import type { EventSink } from "./events";

/** The signals a server may be stopped with (the app's stopSignal). */
export const stopSignals = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const;
export type StopSignal = (typeof stopSignals)[number];

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

export interface ScrapeTargetInputs {
    /** The folder of file_sd targets Prometheus and the process exporter watch. */
    readonly folder: string;
    /** The server's name: the `server` label of its series. */
    readonly server: string;
    /** Where its own metrics endpoint and process listen: `127.0.0.1:<port>`. */
    readonly address: string;
}
