// Processes on this machine, from /proc, identified by pid and start time (a reused pid is
// another process). zdr's provider starts every process detached; what those fork (HAProxy's
// workers, PostgreSQL's backends, which call setsid) is found through the parent pids.
import * as fs from "node:fs";

export interface ProcessRef {
    readonly pid: number;
    /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
    readonly startTicks: string;
    readonly command: string;
}

function statFields(pid: number): string[] | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    } catch {
        return undefined;
    }
}

function commandOf(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 100);
    } catch {
        return "?";
    }
}

/** The live (not zombie) processes among `roots` and every process below them. */
export function processTree(roots: readonly number[]): ProcessRef[] {
    const parentOf = new Map<number, { ppid: number; startTicks: string }>();
    for (const entry of fs.readdirSync("/proc")) {
        const f = /^\d+$/.test(entry) ? statFields(Number(entry)) : undefined;
        if (f && f[0] !== "Z") {
            parentOf.set(Number(entry), { ppid: Number(f[1]), startTicks: f[19] });
        }
    }
    const found = new Set(roots.filter((p) => parentOf.has(p)));
    let frontier = [...found];
    for (let depth = 0; depth < 10 && frontier.length > 0; depth++) {
        frontier = [...parentOf].filter(([pid, p]) => frontier.includes(p.ppid) && !found.has(pid)).map(([pid]) => pid);
        frontier.forEach((p) => found.add(p));
    }
    return [...found].map((pid) => ({ pid, startTicks: parentOf.get(pid)?.startTicks ?? "", command: commandOf(pid) }));
}

/** Those of `processes` still running (same pid, same start time). */
export function stillAlive(processes: readonly ProcessRef[]): ProcessRef[] {
    return processes.filter((p) => {
        const f = statFields(p.pid);
        return f !== undefined && f[0] !== "Z" && f[19] === p.startTicks;
    });
}
