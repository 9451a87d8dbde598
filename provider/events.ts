import * as fs from "node:fs";
import * as path from "node:path";

export type Step = "drain" | "deploy" | "reattach";

/** Where and for whom a provider records the release events it carries out. */
export interface EventSink {
    /** JSON-lines file the events are appended to. */
    readonly file: string;
    /** Server name the events are about. */
    readonly server: string;
}

/** Appends `{t, server, step, phase}` to the sink's file: what happened, when it happened. */
export function recordEvent(sink: EventSink | undefined, step: Step, phase: "start" | "end"): void {
    if (!sink) {
        return;
    }
    fs.mkdirSync(path.dirname(sink.file), { recursive: true });
    fs.appendFileSync(sink.file, `${JSON.stringify({ t: Date.now(), server: sink.server, step, phase })}\n`);
}
