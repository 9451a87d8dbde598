import * as fs from "node:fs";
import * as path from "node:path";
import type { EventSink, Step } from "../contract/events";

/** Appends `{t, server, step, phase}` to the sink's file: what happened, when it happened. */
export function recordEvent(sink: EventSink | undefined, step: Step, phase: "start" | "end"): void {
    if (!sink) {
        return;
    }
    fs.mkdirSync(path.dirname(sink.file), { recursive: true });
    fs.appendFileSync(sink.file, `${JSON.stringify({ t: Date.now(), server: sink.server, step, phase })}\n`);
}
