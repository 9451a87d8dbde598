// Where a provider records the release events it carries out (provider/events.ts appends them).
export type Step = "drain" | "deploy" | "reattach";

/** Where and for whom a provider records the release events it carries out. */
export interface EventSink {
    /** JSON-lines file the events are appended to. */
    readonly file: string;
    /** Server name the events are about. */
    readonly server: string;
}
