// HAProxy's own per-server counters over a whole step, across reloads: every 100 ms the master
// CLI lists the workers (the current one and old ones still finishing their requests) and each
// worker's `show stat` is read through it (`@!<pid> show stat`). A worker's counters only grow,
// so its last reading is its total; the step's total per server is the sum over the workers.
// What a worker counted in its last 100 ms before it exited is not seen: a worker exits only
// once it has no request left, so nothing is in flight there to fail. A server added and removed at
// run time (a canary's fresh baseline) keeps its last reading; one added again under the same name
// starts from 0 in HAProxy, and its earlier counts are kept beside the new ones.
import { HaproxyMaster, parseShowStat, ServerStat } from "./runtime";

export interface ServerCounters {
    /** Retries, redispatches, connection errors, response errors, sessions. */
    readonly wretr: number;
    readonly wredis: number;
    readonly econ: number;
    readonly eresp: number;
    readonly stot: number;
}

export interface CounterReport {
    /** Per server, summed over every worker seen. */
    readonly servers: Record<string, ServerCounters>;
    /** The workers seen (a reload shows two). */
    readonly workers: number[];
    /** Per server, every status it had in a reading (UP, MAINT, DRAIN, ...). */
    readonly statuses: Record<string, string[]>;
    readonly readings: number;
}

export interface CounterSampler {
    stop(): Promise<CounterReport>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every worker's counters now: a step's baseline where HAProxy lives across steps (see sampleCounters). */
export async function readCounters(masterSocket: string, backend: string): Promise<Map<number, ServerStat[]>> {
    const master = new HaproxyMaster(masterSocket, 2000);
    const now = new Map<number, ServerStat[]>();
    for (const w of (await master.processes()).filter((p) => p.type === "worker")) {
        now.set(w.pid, parseShowStat(await master.worker(w.pid).command("show stat"), backend));
    }
    return now;
}

/**
 * Samples until stop() or maxSeconds. With a `baseline` (readCounters before the step), a
 * worker's counters count from it: the step's own, not what an earlier step of the same
 * HAProxy counted (an operator's HAProxy that zdr never reloads lives through a whole test file).
 */
export function sampleCounters(masterSocket: string, backend: string, maxSeconds: number, baseline?: Map<number, ServerStat[]>): CounterSampler {
    const master = new HaproxyMaster(masterSocket, 2000);
    /** Per worker, per server: its last reading, and what earlier lives of a server of that name counted. */
    const last = new Map<number, Map<string, { stat: ServerStat; earlier: ServerCounters }>>();
    const none: ServerCounters = { wretr: 0, wredis: 0, econ: 0, eresp: 0, stot: 0 };
    const plus = (a: ServerCounters, b: ServerCounters): ServerCounters => ({ wretr: a.wretr + b.wretr, wredis: a.wredis + b.wredis, econ: a.econ + b.econ, eresp: a.eresp + b.eresp, stot: a.stot + b.stot });
    const statuses: Record<string, Set<string>> = {};
    let readings = 0;
    let stopped = false;
    const deadline = Date.now() + maxSeconds * 1000;
    const loop = (async () => {
        for (let i = 0; !stopped && Date.now() < deadline && i < maxSeconds * 20; i++) {
            try {
                const workers = (await master.processes()).filter((p) => p.type === "worker");
                for (const w of workers) {
                    const stats = parseShowStat(await master.worker(w.pid).command("show stat"), backend);
                    const seen = last.get(w.pid) ?? new Map();
                    for (const s of stats) {
                        const before = seen.get(s.server);
                        // fewer sessions than before: removed and added again, counting from 0
                        const earlier = before && s.stot < before.stat.stot ? plus(before.earlier, before.stat) : before?.earlier ?? none;
                        seen.set(s.server, { stat: s, earlier });
                    }
                    last.set(w.pid, seen);
                    if (w.current) {
                        for (const s of stats) {
                            (statuses[s.server] ??= new Set()).add(s.status);
                        }
                    }
                }
                readings++;
            } catch {
                // a worker that exited between "show proc" and its "show stat"
            }
            await sleep(100);
        }
    })();
    return {
        async stop() {
            stopped = true;
            await loop;
            const servers: Record<string, ServerCounters> = {};
            for (const [pid, seen] of last) {
                for (const [server, { stat, earlier }] of seen) {
                    const b = baseline?.get(pid)?.find((x) => x.server === server) ?? none;
                    const t = plus(servers[server] ?? none, plus(earlier, stat));
                    servers[server] = { wretr: t.wretr - b.wretr, wredis: t.wredis - b.wredis, econ: t.econ - b.econ, eresp: t.eresp - b.eresp, stot: t.stot - b.stot };
                }
            }
            return {
                servers,
                workers: [...last.keys()],
                statuses: Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, [...v]])),
                readings,
            };
        },
    };
}

/** The sum of the error counters of a report's servers (retries, redispatches, connection and response errors). */
export function errorCounters(report: CounterReport): { wretr: number; wredis: number; econ: number; eresp: number } {
    const total = { wretr: 0, wredis: 0, econ: 0, eresp: 0 };
    for (const c of Object.values(report.servers)) {
        total.wretr += c.wretr;
        total.wredis += c.wredis;
        total.econ += c.econ;
        total.eresp += c.eresp;
    }
    return total;
}
