// A log that rotates (scripts/local/log-writer.js renames <file> to <file>.1, <file>.1 to
// <file>.2, ... and starts a new <file>), read as one stream: a reader remembers the file it was
// reading by its inode and where it stopped; when <file> is a new one, the rest of the old one
// (now <file>.1) is read first. A window that starts before the current file does is read from
// <file>.1 on.
import * as fs from "node:fs";

/** Reads a file from a byte offset; returns where the next read starts. */
export type Reader = (file: string, offset: number) => number;

function stat(file: string): fs.Stats | undefined {
    try {
        return fs.statSync(file);
    } catch {
        return undefined;
    }
}

export class FollowedLog {
    private ino?: number;

    /**
     * @param offset where reading starts in `file`
     * @param before older files to read first, in order (a window that starts in `<file>.1`)
     */
    constructor(
        readonly file: string,
        private offset: number,
        private before: { file: string; offset: number }[] = [],
    ) {
        this.ino = stat(file)?.ino;
    }

    /** Reads what was written since the last read, across a rotation. */
    read(reader: Reader): void {
        for (const b of this.before) {
            reader(b.file, b.offset);
        }
        this.before = [];
        const now = stat(this.file);
        if (!now) {
            return;
        }
        if (this.ino !== undefined && now.ino !== this.ino) {
            // rotated: the rest of the file we were reading, if it is still the newest old one
            const old = `${this.file}.1`;
            if (stat(old)?.ino === this.ino) {
                reader(old, this.offset);
            }
            this.offset = 0;
        } else if (now.size < this.offset) {
            this.offset = 0; // truncated in place
        }
        this.ino = now.ino;
        this.offset = reader(this.file, this.offset);
    }
}

/**
 * A reader of a rotating log from the first line stamped `from` on: in `<file>` when its first
 * line is older than `from` by `marginMs`, else from `<file>.1` on (one rotation back).
 * `firstTime` gives a file's first line's time; `offsetOf` the offset of a time in a file.
 */
export function followFrom(file: string, from: number, marginMs: number, firstTime: (file: string) => number | undefined, offsetOf: (file: string, t: number) => number): FollowedLog {
    const first = fs.existsSync(file) ? firstTime(file) : undefined;
    const old = `${file}.1`;
    if ((first === undefined || first > from - marginMs) && fs.existsSync(old)) {
        return new FollowedLog(file, 0, [{ file: old, offset: offsetOf(old, from) }]);
    }
    return new FollowedLog(file, fs.existsSync(file) ? offsetOf(file, from) : 0);
}
