import * as pulumi from "@pulumi/pulumi";
import type { EventSink } from "../contract/events";
import type { ProcessInputs } from "../contract/process";
import { processType } from "../contract/tokens";
import type { ArgsOf, DeepInput } from "./args";

/** Where the zdr provider records the release steps it carries out; documented on {@link EventSink}. */
export type EventSinkArgs = DeepInput<EventSink>;

/** Inputs of {@link Process}; documented on {@link ProcessInputs}. */
export type ProcessArgs = ArgsOf<ProcessInputs>;

/**
 * A process started detached by the zdr provider (zdr:local:Process). Every input change
 * replaces it: the old one gets SIGTERM and the stop timeout to finish its in-flight work.
 */
export class Process extends pulumi.CustomResource {
    declare readonly pid: pulumi.Output<number>;
    declare readonly startTicks: pulumi.Output<string>;
    declare readonly logFile: pulumi.Output<string>;
    /** Why the start failed, with `recordFailure` (nothing runs then). */
    declare readonly failure: pulumi.Output<string | undefined>;

    constructor(name: string, args: ProcessArgs, opts?: pulumi.CustomResourceOptions) {
        super(processType, name, { ...args, pid: undefined, startTicks: undefined, failure: undefined }, opts);
    }
}
