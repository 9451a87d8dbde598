// The one bounded wait of zdr: ask until there is an answer, for at most a time and a count of
// asks. Every provider step that waits (HAProxy's new worker, a server UP or drained, a process
// ready or gone, a host's health check) waits through it, so that no wait is unbounded and each
// says the same thing when it runs out: the caller gets `undefined` and names what it waited for.
import { setTimeout as sleep } from "node:timers/promises";

export interface PollBounds {
    /** Longest wait, from the first ask. */
    readonly timeoutMs: number;
    /** Pause between two asks. */
    readonly intervalMs: number;
    /** Most asks, whatever the clock says. @default 100000 */
    readonly maxPolls?: number;
}

export interface Poll {
    /** 0 for the first ask. */
    readonly poll: number;
    /** Time left before the wait runs out (0 at the last ask); an ask that can itself wait bounds its own wait by it. */
    readonly remainingMs: number;
}

/**
 * Calls `ask` until it returns something other than `undefined`, and returns that; `undefined`
 * when the time or the count ran out first. Asks at least once, the last time at the deadline
 * (a drain or a grace period gets its whole time), and never sleeps past it. An error thrown by
 * `ask` ends the wait with that error.
 */
export async function pollUntil<T>(ask: (p: Poll) => Promise<T | undefined> | T | undefined, bounds: PollBounds): Promise<T | undefined> {
    const deadline = Date.now() + bounds.timeoutMs;
    const maxPolls = bounds.maxPolls ?? 100_000;
    for (let poll = 0; poll < maxPolls; poll++) {
        const answer = await ask({ poll, remainingMs: Math.max(0, deadline - Date.now()) });
        if (answer !== undefined) {
            return answer;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
            break;
        }
        await sleep(Math.min(bounds.intervalMs, left));
    }
    return undefined;
}
