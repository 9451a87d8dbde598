// The app's own error log lines as the canary's error signatures (issue 15, item 4): whatever
// the app is, its servers' stdout and stderr go to one file each (zdr:local:Process), and a
// team decides a rollback by "findings in the log that are unique for this machine". While a
// canary bakes, each server's new lines are read as they come (every look, from where the last
// read ended); error lines (isErrorLine) are grouped into templates by the Drain miner
// (./templates.ts) shared by all servers, so that the same message from two servers is one
// template; and each template becomes the signature "log: <template>" carried by that server's
// next request in HAProxy's log. The judge's new-error check does the rest: a template the
// canary logs and the stable servers do not, in the same window, fails the canary once the
// evidence is strong enough (one line never is: its odds test needs repeated occurrences).
// Templates the stable servers logged in the last `knownBytes` of their log before the window
// are known caveats of the stable version, never new. The canary's own lines from before the
// window (its start-up) are not read.
// A line's time is its own when it has one (a JSON or logfmt field t, ts, time or timestamp, or a
// leading ISO-8601 date), else when it was read (within a look, about a second). A line goes with the
// server's first request in HAProxy's log that had started by then (HAProxy stamps a request
// with its start), so a line written while a request was served goes with that request.
// A JSON or logfmt line (Go slog's text handler, logrus) is mined as its message, then its other
// fields `key=value` apart, so that one differing field (the path, an id) is a variable of the
// template, not a new template; its time and level fields are not part of it (the time is the
// line's time, the level made it an error), so the template, and the check's name, start with
// what the line says.
import * as fs from "node:fs";
import { appLogPrefix } from "./judge";
import { TemplateMiner } from "./templates";
import { readLines } from "./log-files";
import { FollowedLog } from "./rotated-log";
import { defaultErrorPattern, levelKeys, lineSeverity, severityOf } from "./log-level";

/** The PRIORITY journald gives a service's output line without a "<n>" prefix (SyslogLevel=info). */
const journalStreamDefault = 6;

/**
 * A line that reports an error: its own level when it states one (src/canary/log-level.ts: JSON
 * `level`, journald's PRIORITY, syslog `<PRI>`, logfmt `level=`, a leading `ERROR`), else the
 * keyword pattern (an error word: `ValueError:`, `panic`, `Traceback`, `failed`) or the app's own.
 */
export function isErrorLine(line: string, pattern: RegExp = defaultErrorPattern): boolean {
    const fields = jsonObject(line);
    const message = fields && journalMessage(fields);
    if (fields && message !== undefined) {
        // journald gives a service's stdout and stderr lines the unit's SyslogLevel, info unless
        // set, when the line has no "<n>" prefix: that PRIORITY states nothing, the message may
        const priority = severityOf(fields.PRIORITY);
        const stated = priority !== undefined && !(fields._TRANSPORT === "stdout" && priority === journalStreamDefault);
        return stated ? priority <= 3 : isErrorLine(message, pattern);
    }
    const severity = lineSeverity(line, fields);
    return severity !== undefined ? severity <= 3 : pattern.test(fields ? minedText(line) : line);
}

/** journald's entry (`journalctl -o json`): its MESSAGE as text (a byte array when it is not UTF-8). */
function journalMessage(fields: Record<string, unknown>): string | undefined {
    if (fields.__CURSOR === undefined || fields.MESSAGE === undefined) {
        return undefined;
    }
    const m = fields.MESSAGE;
    return Array.isArray(m) ? Buffer.from(m as number[]).toString("utf8") : String(m);
}

/** Fields that stamp a line's time (JSON, logfmt): the line's time, never part of its template. */
const timeKeys = ["t", "ts", "time", "timestamp", "@timestamp"] as const;
/** Fields that hold a line's message (JSON, logfmt): first in its template. */
const messageKeys = ["msg", "message", "@m", "@mt"] as const;
const notMined = new Set<string>([...timeKeys, ...levelKeys]);

/**
 * A logfmt line's fields (key=value, a value quoted when it has spaces: Go slog's text handler,
 * logrus), in order; undefined when the line does not start with one or has fewer than two.
 */
export function logfmtFields(line: string): [string, string][] | undefined {
    if (!/^[A-Za-z_@][\w.@-]*=/.test(line)) {
        return undefined;
    }
    const fields: [string, string][] = [];
    const pair = /([A-Za-z_@][\w.@-]*)=("(?:[^"\\]|\\.)*"|\S*)/y;
    let at = 0;
    while (at < line.length) {
        pair.lastIndex = at;
        const m = pair.exec(line);
        if (!m) {
            return fields.length >= 2 ? fields : undefined;
        }
        const v = m[2];
        fields.push([m[1], v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v]);
        at = pair.lastIndex;
        while (line[at] === " " || line[at] === "\t") {
            at++;
        }
    }
    return fields.length >= 2 ? fields : undefined;
}

/** A structured line's fields as the miner reads them: the message first, without time or level. */
function minedFields(fields: readonly [string, unknown][]): string {
    const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const message = fields.find(([k]) => (messageKeys as readonly string[]).includes(k));
    const rest = fields.filter(([k]) => !notMined.has(k) && k !== message?.[0]).map(([k, v]) => `${k}=${text(v)}`);
    return [...(message ? [text(message[1])] : []), ...rest].join(" ");
}

/** The line as the miner sees it: journald's MESSAGE; a JSON or logfmt line's message, then its other fields `key=value` apart (not its time or level); else the line. */
export function minedText(line: string): string {
    const fields = jsonObject(line);
    if (!fields) {
        const kv = logfmtFields(line);
        return kv ? minedFields(kv) : line;
    }
    const message = journalMessage(fields);
    if (message !== undefined) {
        return minedText(message);
    }
    return minedFields(Object.entries(fields));
}

function jsonObject(line: string): Record<string, unknown> | undefined {
    if (!line.startsWith("{")) {
        return undefined;
    }
    try {
        const v = JSON.parse(line) as unknown;
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** The line's own time (epoch ms), if it has one within an hour of `now`. */
export function lineTime(line: string, now: number): number | undefined {
    let t: number | undefined;
    const fields = jsonObject(line);
    if (fields) {
        // journald's __REALTIME_TIMESTAMP is in microseconds
        const v = fields.__REALTIME_TIMESTAMP !== undefined ? Number(fields.__REALTIME_TIMESTAMP) / 1000 : fields.t ?? fields.ts ?? fields.time ?? fields.timestamp ?? fields["@timestamp"];
        t = typeof v === "number" ? (v < 1e11 ? v * 1000 : v) : typeof v === "string" ? Date.parse(v) : undefined;
    } else if (logfmtFields(line)) {
        const kv = new Map(logfmtFields(line));
        const v = kv.get("time") ?? kv.get("ts") ?? kv.get("t") ?? kv.get("timestamp");
        const n = v !== undefined && /^\d+(?:\.\d+)?$/.test(v) ? Number(v) : undefined;
        t = n !== undefined ? (n < 1e11 ? n * 1000 : n) : v !== undefined ? Date.parse(v) : undefined;
    } else {
        const m = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/.exec(line);
        t = m ? Date.parse(m[1].replace(" ", "T").replace(",", ".")) : undefined;
    }
    return t !== undefined && Number.isFinite(t) && Math.abs(t - now) < 3_600_000 ? t : undefined;
}

export interface AppLogTemplate {
    /** "log: <template>" as the judge names it. */
    readonly signature: string;
    /** The template's tokens now ("<*>" where its lines differ). */
    readonly template: string;
    /**
     * The stable servers logged it before the window: a known caveat of the stable version,
     * counted for the report and never judged. @default false (reports written before it listed new templates only)
     */
    readonly known?: boolean;
    readonly canaryLines: number;
    readonly baselineLines: number;
    /** When the canary's first line of it was read (epoch ms). */
    readonly canaryFirstSeen?: number;
    readonly baselineFirstSeen?: number;
}

interface Seen {
    signature: string;
    known?: boolean;
    canaryLines: number;
    baselineLines: number;
    canaryFirstSeen?: number;
    baselineFirstSeen?: number;
}

/** The last bytes of a stable server's log read as known templates. */
const knownBytes = 1 << 20;

export class AppLogWatch {
    private readonly miner = new TemplateMiner();
    private readonly known = new Set<number>();
    private readonly logs = new Map<string, FollowedLog>();
    private readonly pending = new Map<string, { t: number; signature: string }[]>();
    private readonly seen = new Map<number, Seen>();

    private readonly errorPattern: RegExp;

    /**
     * @param files server name -> its log file (stdout and stderr, or a mirror of a host's log)
     * @param canary the canary's name; every other server is a stable one
     * @param options.errorPattern what makes a line without a level an error @default - defaultErrorPattern
     */
    constructor(
        files: Readonly<Record<string, string>>,
        private readonly canary: string,
        options: { readonly errorPattern?: RegExp } = {},
    ) {
        this.errorPattern = options.errorPattern ?? defaultErrorPattern;
        for (const [server, file] of Object.entries(files)) {
            const size = sizeOf(file);
            this.logs.set(server, new FollowedLog(file, size));
            if (server !== canary && size > 0) {
                readLines(file, Math.max(0, size - knownBytes), (l) => this.addKnown(l), size, Math.max(0, size - knownBytes) > 0);
            }
        }
    }

    /** A stable server's line from before the window: its error template is a known caveat, never new. */
    addKnown(line: string): void {
        if (isErrorLine(line, this.errorPattern)) {
            this.known.add(this.miner.add(minedText(line)).template.id);
        }
    }

    /** Reads every server's new whole lines; `now` stamps them. */
    poll(now: number): void {
        // A log rotated since the last look: the rest of the old file, then the new one.
        for (const [server, log] of this.logs) {
            log.read((f, offset) => readLines(f, offset, (l) => this.addLine(server, l, now)));
        }
    }

    /**
     * One line of a server's log in the window, read at `now`; `at` is its time when the source
     * stamps it (CloudWatch Logs' event time), else the line's own or `now`.
     */
    addLine(server: string, line: string, now: number, at?: number): void {
        if (!isErrorLine(line, this.errorPattern)) {
            return;
        }
        const { template } = this.miner.add(minedText(line));
        const known = this.known.has(template.id);
        const t = at ?? lineTime(line, now) ?? now;
        let s = this.seen.get(template.id);
        if (!s) {
            s = { signature: `${appLogPrefix}${template.tokens.join(" ")}`, canaryLines: 0, baselineLines: 0, ...(known ? { known } : {}) };
            this.seen.set(template.id, s);
        }
        if (server === this.canary) {
            s.canaryLines++;
            s.canaryFirstSeen = Math.min(s.canaryFirstSeen ?? Infinity, at ?? now);
        } else {
            s.baselineLines++;
            s.baselineFirstSeen = Math.min(s.baselineFirstSeen ?? Infinity, at ?? now);
        }
        if (known) {
            return; // a known caveat of the stable version: shown in the report, never judged
        }
        let p = this.pending.get(server);
        if (!p) {
            p = [];
            this.pending.set(server, p);
        }
        p.push({ t, signature: s.signature });
        if (p.length > 1 && p[p.length - 2].t > t) {
            p.sort((a, b) => a.t - b.t);
        }
    }

    /**
     * The signatures the server logged up to `until` (a request's end: its start and duration in
     * HAProxy's log) and not taken yet: they go with that request.
     */
    take(server: string, until = Infinity): string[] | undefined {
        const p = this.pending.get(server);
        if (!p || p.length === 0 || p[0].t > until) {
            return undefined;
        }
        const taken = new Set<string>();
        let n = 0;
        while (n < p.length && p[n].t <= until) {
            taken.add(p[n].signature);
            n++;
        }
        p.splice(0, n);
        return [...taken];
    }

    /** Every error template logged in the window, with its lines per side; `known` when the stable servers logged it before the window. */
    templates(): AppLogTemplate[] {
        const now = new Map(this.miner.templates().map((t) => [t.id, t.tokens.join(" ")]));
        return [...this.seen.entries()].map(([id, s]) => ({ ...s, template: now.get(id) ?? s.signature.slice(appLogPrefix.length) }));
    }
}

function sizeOf(file: string): number {
    try {
        return fs.statSync(file).size;
    } catch {
        return 0;
    }
}
