// HAProxy's request log on another host (the hosts target), mirrored into a local file that the
// canary judge reads as it reads the local default's log (src/canary/evidence.ts, live.ts); an app
// server's own log file on its host the same way (targets/hosts/evidence/app-log.ts).
// Each poll is one command on the host that prints the file's size and inode, the offset it
// starts from, then at most maxBytes of the log from there (`tail -c +N | head -c M`): bounded in
// bytes, and in time by the caller's timeout. The first poll starts initialBytes before the end
// (enough for the window's start and the baseline's minute before it); a log that shrank or has
// another inode (rotated, truncated) is read again from its start. The mirror only grows; lines
// cut by a restart are left as a line that parses as nothing.
//
// Worked example (maxBytes 4 MiB, initialBytes 16 MiB): a 100 MB log at its first poll is read
// from byte 100 MB - 16 MiB, four polls of 4 MiB each to catch up; then each poll brings the
// bytes written since the last one.
import * as fs from "node:fs";
import { shellQuote } from "../ssh/client";

export interface MirrorCursor {
    /** Where the next read starts in the host's file; undefined before the first read. */
    readonly offset?: number;
    /** The file's inode at the last read: another inode is another file (rotated). */
    readonly inode?: number;
}

export interface MirrorLimits {
    /** Most bytes one poll brings. */
    readonly maxBytes: number;
    /** How far before the end the first poll starts. */
    readonly initialBytes: number;
}

export const defaultMirrorLimits: MirrorLimits = { maxBytes: 4 << 20, initialBytes: 16 << 20 };

/** The one command a poll runs on the host (POSIX sh, GNU or busybox stat, tail and head). */
export function mirrorCommand(file: string, cursor: MirrorCursor, limits: MirrorLimits): string {
    const f = shellQuote([file]);
    return [
        `s=$(stat -L -c '%s %i' -- ${f}) || exit 3`,
        "size=${s% *}; ino=${s#* }",
        cursor.offset === undefined
            ? `o=$((size > ${limits.initialBytes} ? size - ${limits.initialBytes} : 0))`
            : `o=${cursor.offset}; if [ "$size" -lt "$o" ] || [ "$ino" != "${cursor.inode ?? ""}" ]; then o=0; fi`,
        'printf "%s %s %s\\n" "$size" "$ino" "$o"',
        `tail -c +$((o + 1)) -- ${f} | head -c ${limits.maxBytes}`,
    ].join("; ");
}

export interface MirrorRead {
    readonly size: number;
    readonly inode: number;
    /** Where these bytes start in the host's file. */
    readonly start: number;
    readonly bytes: Buffer;
}

/** The command's output: its header line, then the bytes. */
export function parseMirrorReply(out: Buffer): MirrorRead {
    const nl = out.indexOf(0x0a);
    const m = nl < 0 ? null : /^(\d+) (\d+) (\d+)$/.exec(out.toString("latin1", 0, nl));
    if (!m) {
        throw new Error(`unexpected answer: ${JSON.stringify(out.toString("latin1", 0, Math.min(out.length, 120)))}`);
    }
    return { size: Number(m[1]), inode: Number(m[2]), start: Number(m[3]), bytes: out.subarray(nl + 1) };
}

/** What to append to the mirror for a read, and the cursor after it. */
export function planAppend(cursor: MirrorCursor, read: MirrorRead, mirrorEndsLine: boolean): { append: Buffer; cursor: MirrorCursor } {
    const continues = cursor.offset !== undefined && read.start === cursor.offset && read.inode === cursor.inode;
    let bytes = read.bytes;
    if (!continues && read.start > 0) {
        // started inside a line: skip to the next one
        const nl = bytes.indexOf(0x0a);
        bytes = nl < 0 ? Buffer.alloc(0) : bytes.subarray(nl + 1);
    }
    const next = { offset: read.start + read.bytes.length, inode: read.inode };
    if (!continues && !mirrorEndsLine && bytes.length > 0) {
        return { append: Buffer.concat([Buffer.from("\n"), bytes]), cursor: next };
    }
    return { append: bytes, cursor: next };
}

/** Runs a command on the log's host and resolves with its exit code, stdout and stderr. */
export type RemoteRunner = (command: string, maxBytes: number) => Promise<{ exitCode: number | null; stdout: Buffer; stderr: string }>;

/** A remote log mirrored into `localFile` (created empty at construction). */
export class LogMirror {
    private cursor: MirrorCursor = {};
    private endsLine = true;
    /** Bytes appended to the mirror so far. */
    mirrored = 0;

    constructor(
        private readonly run: RemoteRunner,
        readonly remoteFile: string,
        readonly localFile: string,
        private readonly limits: MirrorLimits = defaultMirrorLimits,
        private readonly where = "its host",
        /** The log and its config key, as an error names them. */
        private readonly what = { log: "HAProxy's request log", key: "zdr:haproxyLogFile" },
    ) {
        fs.writeFileSync(localFile, "");
    }

    /** One poll: the bytes written since the last one (at most maxBytes); returns how many the host sent. */
    async poll(): Promise<number> {
        const header = 64;
        const r = await this.run(mirrorCommand(this.remoteFile, this.cursor, this.limits), this.limits.maxBytes + header);
        if (r.exitCode !== 0) {
            throw new Error(`cannot read ${this.what.log} ${this.remoteFile} on ${this.where} (${this.what.key}): exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-500)}` : ""}`);
        }
        const read = parseMirrorReply(r.stdout);
        const { append, cursor } = planAppend(this.cursor, read, this.endsLine);
        if (append.length > 0) {
            fs.appendFileSync(this.localFile, append);
            this.endsLine = append[append.length - 1] === 0x0a;
            this.mirrored += append.length;
        }
        this.cursor = cursor;
        return read.bytes.length;
    }

    /** Polls until a poll brings less than maxBytes (caught up), at most `rounds` times. */
    async catchUp(rounds = 8): Promise<void> {
        for (let i = 0; i < rounds; i++) {
            if ((await this.poll()) < this.limits.maxBytes) {
                return;
            }
        }
    }
}
