// The app servers' own log lines on the hosts target (issue 15, item 4), read over each server's
// pooled SSH connection every second of the bake and mirrored into a local file per server, which
// the canary's AppLogWatch (src/canary/app-log.ts) reads as it reads the local default's
// stdout and stderr. Two sources, as the application's definition says:
// - a file (`appLogFile`): LogMirror (src/canary/remote-log.ts) as for HAProxy's log: size and
//   inode each poll, at most maxBytes a poll from where the last ended, a rotated or truncated
//   file read again from its start (the operator's logrotate rotates it);
// - a journald unit (`appLogUnit`): JournalMirror below: `journalctl -u <unit> -o json` after the
//   cursor of the last entry read, at most maxEntries entries and maxBytes a poll; the raw JSON
//   entries are mirrored (PRIORITY is the line's level, MESSAGE its text, __REALTIME_TIMESTAMP its
//   time: app-log.ts reads them so).
// The first poll starts a little before the end (initialBytes of the file, the last
// initialEntries entries of the unit): the stable servers' recent error templates are known
// caveats, never new; the canary's lines from before the window are not read. A unit with no
// entry yet is read from the journal's end as the first poll found it, so a burst before its
// second poll is read whole.
import * as fs from "node:fs";
import { shellQuote } from "../../../src/ssh/client";
import { LogMirror, RemoteRunner } from "../../../src/canary/remote-log";

/** Where one server's log is on its host: exactly one of file and unit. */
export interface HostAppLog {
    /** An absolute path on the host. */
    readonly file?: string;
    /** A systemd unit whose journal holds the app's lines. */
    readonly unit?: string;
}

export interface JournalLimits {
    /** Most entries one poll brings. */
    readonly maxEntries: number;
    /** Most bytes one poll brings (a longer answer is cut at its last whole entry). */
    readonly maxBytes: number;
    /** Entries the first poll reads before the end. */
    readonly initialEntries: number;
}

export const defaultJournalLimits: JournalLimits = { maxEntries: 5000, maxBytes: 4 << 20, initialEntries: 2000 };

/**
 * Where the next poll starts: after the last entry read (`--after-cursor`), or, while the unit has
 * logged nothing yet, at the journal's end as the first poll found it (`--cursor`: that entry is
 * another unit's, so the unit's first entry after it is read; `--after-cursor` there would skip
 * that first entry: journalctl 252 steps past the cursor's position and then one matching entry).
 */
export type JournalCursor = { readonly after: string } | { readonly at: string };

/**
 * The one command a poll runs on the host. Worked examples (unit shop.service, 5,000 entries and
 * 4 MiB a poll): after cursor "s=1;i=2", `journalctl -q --no-pager -o json -u shop.service
 * --after-cursor 's=1;i=2'`, its first 5,000 lines and 4 MiB; at the first poll, the journal's
 * end (`-n 0 --show-cursor` prints `-- cursor: <c>`) and then the unit's last 2,000 entries, so
 * that a unit with no entry yet is read from that end on, none lost to a later `-n`.
 */
export function journalCommand(unit: string, cursor: JournalCursor | undefined, limits: JournalLimits): string {
    const base = `journalctl -q --no-pager -o json -u ${shellQuote([unit])}`;
    const read = cursor === undefined
        ? `${base} -n ${limits.initialEntries}`
        : "after" in cursor ? `${base} --after-cursor ${shellQuote([cursor.after])}` : `${base} --cursor ${shellQuote([cursor.at])}`;
    return [
        `command -v journalctl >/dev/null || { echo "journalctl is not installed" >&2; exit 3; }`,
        // an empty journal has no end to show (exit 1): the next poll looks again
        ...(cursor === undefined ? ["journalctl -q --no-pager -n 0 --show-cursor 2>/dev/null"] : []),
        // the pipe's status is head's: journalctl's own failure is reported on stderr
        `{ ${read} || echo "journalctl exited with $?" >&2; } | head -n ${limits.maxEntries} | head -c ${limits.maxBytes}`,
    ].join("; ");
}

const endLine = "-- cursor: ";

/** The whole entries of an answer (a cut last one is left for the next poll) and where the next poll starts. */
export function parseJournalReply(out: Buffer, cursor: JournalCursor | undefined): { entries: string[]; cursor: JournalCursor | undefined } {
    const text = out.toString("utf8");
    const end = text.lastIndexOf("\n");
    const entries: string[] = [];
    let next = cursor;
    for (const line of end < 0 ? [] : text.slice(0, end).split("\n")) {
        if (line.startsWith(endLine) && entries.length === 0) {
            next = { at: line.slice(endLine.length) };
            continue;
        }
        if (!line.startsWith("{")) {
            continue;
        }
        try {
            const c = (JSON.parse(line) as { __CURSOR?: unknown }).__CURSOR;
            if (typeof c === "string") {
                entries.push(line);
                next = { after: c };
            }
        } catch {
            // not an entry
        }
    }
    return { entries, cursor: next };
}

/** A unit's journal on a host, mirrored into `localFile` (created empty) as `journalctl -o json` lines. */
export class JournalMirror {
    private cursor?: JournalCursor;

    constructor(
        private readonly run: RemoteRunner,
        readonly unit: string,
        readonly localFile: string,
        private readonly limits: JournalLimits = defaultJournalLimits,
        private readonly where = "its host",
    ) {
        fs.writeFileSync(localFile, "");
    }

    /** One poll: the entries written since the last one (at most maxEntries); returns how many. */
    async poll(): Promise<number> {
        const r = await this.run(journalCommand(this.unit, this.cursor, this.limits), this.limits.maxBytes + 1024);
        const { entries, cursor } = parseJournalReply(r.stdout, this.cursor);
        // journalctl ends on SIGPIPE when head has what a poll takes: that is no failure
        const cut = entries.length >= this.limits.maxEntries || r.stdout.length >= this.limits.maxBytes;
        if (r.exitCode !== 0 || /insufficient permissions/i.test(r.stderr) || (/journalctl exited with/.test(r.stderr) && !cut)) {
            throw new Error(`cannot read the journal of ${this.unit} on ${this.where} (zdr:appLogUnit): exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-500)}` : ""}`);
        }
        if (entries.length > 0) {
            fs.appendFileSync(this.localFile, `${entries.join("\n")}\n`);
        }
        this.cursor = cursor;
        return entries.length;
    }

    /** Polls until a poll brings fewer than maxEntries (caught up), at most `rounds` times. */
    async catchUp(rounds = 8): Promise<void> {
        for (let i = 0; i < rounds; i++) {
            if ((await this.poll()) < this.limits.maxEntries) {
                return;
            }
        }
    }
}

/** The last bytes of a file the first poll reads: as much as AppLogWatch reads as known templates. */
const initialFileBytes = 1 << 20;

/** A mirror of one server's app log on its host: the file's or the unit's. */
export function hostAppLogMirror(run: RemoteRunner, log: HostAppLog, localFile: string, where: string): { catchUp(rounds?: number): Promise<void> } {
    if (log.unit !== undefined) {
        return new JournalMirror(run, log.unit, localFile, defaultJournalLimits, where);
    }
    if (log.file === undefined) {
        throw new Error(`the app log of ${where}: neither a file nor a unit`);
    }
    return new LogMirror(run, log.file, localFile, { maxBytes: 4 << 20, initialBytes: initialFileBytes }, where, { log: "the app's log", key: "zdr:appLogFile" });
}
