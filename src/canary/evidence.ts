// The canary's evidence on HAProxy targets: HAProxy's own request log, one line per request:
// "<epoch ms> <server> <status> <server response ms> <total ms> <method> <path> {<x-error header>}"
// (see targets/local/environment.ts; lines of logs written before the method and path were logged lack
// the three fields). A failed request's error signature is its x-error header when the app sets
// one, else its status, method and route ("500 POST /orders/<id>"): every app has those.
// The log grows for the life of the stack (11 million requests make 326 MB), so it is never read
// whole: the window's start is found by a binary search on byte offsets (lines are appended as
// requests end, so their times rise, give or take the longest request), and the lines from
// there are streamed in chunks. Memory stays bounded by one chunk and one line, whatever the
// log's size.
import * as fs from "node:fs";
import type { Sample } from "./judge";
import { followFrom, FollowedLog } from "./rotated-log";

export interface LoggedRequest extends Sample {
    /** When HAProxy accepted the request (epoch ms; on a kept-alive connection, the end of the one before). */
    readonly t: number;
    readonly server: string;
    /** When the response ended (epoch ms). @default - not logged (older lines) */
    readonly end?: number;
    /** Method and path with ids masked (routeOf): "POST /orders/<id>". @default - not logged (older lines) */
    readonly route?: string;
}

const line = /^(\d{13}) (\S+) (-?\d+) (-?\d+)(?: (-?\d+) (\S+) (\S+))? \{(.*)\}$/;

/** A path with its ids masked: numbers, hex ids and UUIDs as path segments become "<id>". */
export function routeOf(p: string): string {
    return p.split("/").map((seg) => (/^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(seg) ? "<id>" : seg)).join("/");
}

/** One log line as a request; undefined for other lines and requests no server took. */
export function parseHaproxyLine(l: string): LoggedRequest | undefined {
    const m = line.exec(l.trim());
    if (!m || m[2] === "<NOSRV>") {
        return undefined;
    }
    const [, t, server, status, tr, tt, method, p, header] = m;
    const code = Number(status);
    const failed = code < 200 || code >= 300;
    const route = method !== undefined ? `${method} ${routeOf(p)}` : undefined;
    const error = header ? header : failed && route !== undefined ? `${code} ${route}` : undefined;
    return {
        t: Number(t),
        server,
        status: code,
        latencyMs: Math.max(Number(tr), 0),
        ...(tt !== undefined && Number(tt) >= 0 ? { end: Number(t) + Number(tt) } : {}),
        ...(route !== undefined ? { route } : {}),
        ...(error ? { error } : {}),
    };
}

export function parseHaproxyLog(text: string): LoggedRequest[] {
    return text.split("\n").flatMap((l) => parseHaproxyLine(l) ?? []);
}

/** Lines end at most this long after their time is stamped out of order (HAProxy stamps the request's end). */
const disorderMs = 60_000;
const chunkBytes = 1 << 16;

/** The time of the first whole line at or after `offset`, and where that line starts. */
function lineAt(fd: number, offset: number, size: number): { t: number; start: number } | undefined {
    const buf = Buffer.alloc(chunkBytes);
    let pos = offset;
    let skipPartial = offset > 0;
    let carry = "";
    while (pos < size) {
        const n = fs.readSync(fd, buf, 0, Math.min(chunkBytes, size - pos), pos);
        let text = carry + buf.toString("latin1", 0, n);
        let base = pos - carry.length;
        pos += n;
        if (skipPartial) {
            const nl = text.indexOf("\n");
            if (nl < 0) {
                carry = "";
                continue;
            }
            base += nl + 1;
            text = text.slice(nl + 1);
            skipPartial = false;
        }
        let at = 0;
        for (let nl = text.indexOf("\n", at); nl >= 0; nl = text.indexOf("\n", at)) {
            const r = parseHaproxyLine(text.slice(at, nl));
            if (r) {
                return { t: r.t, start: base + at };
            }
            at = nl + 1;
        }
        carry = text.slice(at);
    }
    return undefined;
}

/** The time of the file's first request, if it has one. */
export function firstRequestTime(file: string): number | undefined {
    const fd = fs.openSync(file, "r");
    try {
        return lineAt(fd, 0, fs.fstatSync(fd).size)?.t;
    } finally {
        fs.closeSync(fd);
    }
}

/** HAProxy's log followed from the window's start `from` on, across its rotation (src/canary/rotated-log.ts). */
export function followRequests(file: string, from: number): FollowedLog {
    return followFrom(file, from, disorderMs, firstRequestTime, offsetOf);
}

/**
 * A byte offset at or before the first line stamped `from` or later: a binary search for the
 * last line stamped before `from - disorderMs`. Worked example: a 1 GB log of a day's requests
 * and a window of the last minute take about 30 probes of 64 kB each.
 */
export function offsetOf(file: string, from: number): number {
    const fd = fs.openSync(file, "r");
    try {
        const size = fs.fstatSync(fd).size;
        let lo = 0;
        let hi = size;
        while (hi - lo > chunkBytes) {
            const mid = Math.floor((lo + hi) / 2);
            const l = lineAt(fd, mid, size);
            if (l === undefined || l.t >= from - disorderMs) {
                hi = mid;
            } else {
                lo = l.start;
                if (hi - lo <= chunkBytes) {
                    break;
                }
            }
        }
        return lo;
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Reads the log from byte `offset` up to `end` (or its current size) in chunks, calling `each`
 * with every request; returns the offset after the last whole line read, where the next read
 * starts (a line being written stays for then).
 */
export function readFrom(file: string, offset: number, each: (r: LoggedRequest) => boolean | void, end?: number): number {
    const fd = fs.openSync(file, "r");
    try {
        const size = end ?? fs.fstatSync(fd).size;
        const buf = Buffer.alloc(chunkBytes);
        let pos = offset;
        let carry = "";
        let consumed = offset;
        while (pos < size) {
            const n = fs.readSync(fd, buf, 0, Math.min(chunkBytes, size - pos), pos);
            pos += n;
            const text = carry + buf.toString("latin1", 0, n);
            let at = 0;
            for (let nl = text.indexOf("\n", at); nl >= 0; nl = text.indexOf("\n", at)) {
                const r = parseHaproxyLine(text.slice(at, nl));
                consumed += nl + 1 - at; // latin1: one character a byte
                at = nl + 1;
                if (r && each(r.error === undefined ? r : { ...r, error: Buffer.from(r.error, "latin1").toString("utf8") }) === false) {
                    return consumed;
                }
            }
            carry = text.slice(at);
        }
        return consumed;
    } finally {
        fs.closeSync(fd);
    }
}

/** Requests served in [from, to] by the given servers, streamed from the window's start (across a rotation). */
export function requestsOf(file: string, servers: readonly string[], from: number, to: number): LoggedRequest[] {
    const out: LoggedRequest[] = [];
    let done = false;
    followRequests(file, from).read((f, offset) =>
        done
            ? offset
            : readFrom(f, offset, (r) => {
                  if (r.t > to + disorderMs) {
                      done = true;
                      return false;
                  }
                  if (r.t >= from && r.t <= to && servers.includes(r.server)) {
                      out.push(r);
                  }
                  return true;
              }),
    );
    return out;
}
