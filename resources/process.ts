import * as pulumi from "@pulumi/pulumi";
import type { StopSignal } from "../src/release/app-config";

/** A JSON-lines file where the zdr provider records the release steps it carries out. */
export interface EventSinkArgs {
    readonly file: pulumi.Input<string>;
    /** The server the events are about. */
    readonly server: pulumi.Input<string>;
}

/** Inputs of {@link Process}: a long-running process on the machine that runs the engine. */
export interface ProcessArgs {
    /** argv; the first element is looked up on PATH. */
    readonly command: pulumi.Input<pulumi.Input<string>[]>;
    /** Environment of the process; only PATH and HOME are inherited. @default - none */
    readonly env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Working directory. @default - the provider's */
    readonly cwd?: pulumi.Input<string>;
    /** stdout and stderr are appended to this file. */
    readonly logFile: pulumi.Input<string>;
    /** Names the process in messages, e.g. "server web-1 (v2)". @default - its argv */
    readonly label?: pulumi.Input<string>;
    /** Files written before the start (path to content). @default - none */
    readonly files?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Polled after the start until it answers 2xx; the create fails if it does not. @default - no health check */
    readonly healthUrl?: pulumi.Input<string>;
    /** `host:port` polled after the start until it accepts a connection. @default - none */
    readonly readyTcp?: pulumi.Input<string>;
    /** @default 15000 */
    readonly healthTimeoutMs?: pulumi.Input<number>;
    /** Time between the stop signal and SIGKILL when the process is stopped. @default 10000 */
    readonly stopTimeoutMs?: pulumi.Input<number>;
    /** @default "SIGTERM" */
    readonly stopSignal?: pulumi.Input<StopSignal>;
    /** Where the provider records `deploy` start and end. @default - nowhere */
    readonly events?: pulumi.Input<EventSinkArgs>;
    /** Any change of these replaces the process. @default - none */
    readonly triggers?: pulumi.Input<unknown[]>;
}

/**
 * A process started detached by the zdr provider (zdr:local:Process). Every input change
 * replaces it: the old one gets SIGTERM and the stop timeout to finish its in-flight work.
 */
export class Process extends pulumi.CustomResource {
    declare readonly pid: pulumi.Output<number>;
    declare readonly startTicks: pulumi.Output<string>;
    declare readonly logFile: pulumi.Output<string>;

    constructor(name: string, args: ProcessArgs, opts?: pulumi.CustomResourceOptions) {
        super("zdr:local:Process", name, { ...args, pid: undefined, startTicks: undefined }, opts);
    }
}
