// Reading a growing log file as lines, in chunks (memory bounded by one chunk and one line).
import * as fs from "node:fs";

const chunkBytes = 1 << 16;
/** A line longer than this is cut (the rest is skipped up to its end). */
const maxLineBytes = 1 << 16;

/**
 * Calls `each` with every whole line (UTF-8, without its newline) from byte `offset` up to `end`
 * (or the file's current size); returns the offset after the last whole line, where the next
 * read starts (a line still being written waits for then). `skipFirst` drops the text up to the
 * first newline (a read that starts in the middle of a line). A missing file reads as empty.
 */
export function readLines(file: string, offset: number, each: (line: string) => void, end?: number, skipFirst = false): number {
    let fd: number;
    try {
        fd = fs.openSync(file, "r");
    } catch {
        return offset;
    }
    try {
        const size = end ?? fs.fstatSync(fd).size;
        const buf = Buffer.alloc(chunkBytes);
        let pos = offset;
        let consumed = offset;
        let parts: Buffer[] = [];
        let partBytes = 0;
        let skipping = skipFirst;
        while (pos < size) {
            const n = fs.readSync(fd, buf, 0, Math.min(chunkBytes, size - pos), pos);
            if (n <= 0) {
                break;
            }
            pos += n;
            let at = 0;
            for (let nl = buf.indexOf(10, at); nl >= 0 && nl < n; nl = buf.indexOf(10, at)) {
                const piece = buf.subarray(at, nl);
                const whole = partBytes > 0 ? Buffer.concat([...parts, piece]) : piece;
                consumed += partBytes + (nl - at) + 1;
                if (!skipping) {
                    each(whole.subarray(0, maxLineBytes).toString("utf8"));
                }
                skipping = false;
                parts = [];
                partBytes = 0;
                at = nl + 1;
            }
            if (at < n) {
                if (partBytes < maxLineBytes) {
                    parts.push(Buffer.from(buf.subarray(at, n)));
                }
                partBytes += n - at;
            }
        }
        return consumed;
    } finally {
        fs.closeSync(fd);
    }
}
