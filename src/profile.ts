// Stage profiling for bench/stage-overhead.ts: when ZDR_PROFILE names a file, the program and the
// provider append one JSON line per mark ({"who","what","t"}, t in ms since the epoch; both run
// on this machine's clock). Without ZDR_PROFILE a mark does nothing.
import * as fs from "node:fs";

export interface Mark {
    readonly who: string;
    readonly what: string;
    readonly t: number;
}

export function mark(who: string, what: string, t = Date.now()): void {
    const file = process.env.ZDR_PROFILE;
    if (file) {
        fs.appendFileSync(file, `${JSON.stringify({ who, what, t })}\n`);
    }
}

/** When this Node.js process started (before any module loaded). */
export function processStart(): number {
    return Math.round(performance.timeOrigin);
}

export function readMarks(file: string): Mark[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    return fs.readFileSync(file, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Mark);
}
