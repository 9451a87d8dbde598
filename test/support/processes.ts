// Processes on this machine, from /proc: which are still alive in given process groups. zdr's
// provider starts every process detached, so each one leads its own group (its pid), and what it
// forks (HAProxy's workers, PostgreSQL's backends) stays in that group.
import * as fs from "node:fs";

function statFields(pid: number): string[] | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    } catch {
        return undefined;
    }
}

/** Live (not zombie) pids whose process group is one of `groups`, with their command lines. */
export function aliveInGroups(groups: readonly number[]): { pid: number; pgid: number; command: string }[] {
    const found: { pid: number; pgid: number; command: string }[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        const f = statFields(Number(entry));
        if (!f || f[0] === "Z" || !groups.includes(Number(f[2]))) {
            continue;
        }
        let command = "?";
        try {
            command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 100);
        } catch {
            // exited meanwhile
        }
        found.push({ pid: Number(entry), pgid: Number(f[2]), command });
    }
    return found;
}
