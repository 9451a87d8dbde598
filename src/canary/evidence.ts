// The canary's evidence on HAProxy targets: HAProxy's own request log, one line per request:
// "<epoch ms> <server> <status> <server response ms> {<x-error header>}" (see components/local.ts).
import * as fs from "node:fs";
import type { Sample } from "./judge";

export interface LoggedRequest extends Sample {
    readonly t: number;
    readonly server: string;
}

const line = /^(\d{13}) (\S+) (-?\d+) (-?\d+) \{(.*)\}$/;

export function parseHaproxyLog(text: string): LoggedRequest[] {
    const out: LoggedRequest[] = [];
    for (const l of text.split("\n")) {
        const m = line.exec(l.trim());
        if (!m || m[2] === "<NOSRV>") {
            continue;
        }
        const [, t, server, status, tr, error] = m;
        out.push({ t: Number(t), server, status: Number(status), latencyMs: Math.max(Number(tr), 0), ...(error ? { error } : {}) });
    }
    return out;
}

/** Requests served in [from, to] by the given servers. */
export function requestsOf(file: string, servers: readonly string[], from: number, to: number): LoggedRequest[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    return parseHaproxyLog(fs.readFileSync(file, "utf8")).filter((r) => r.t >= from && r.t <= to && servers.includes(r.server));
}
