// `zdr watch`'s loop: a baking canary judged live, one line every few seconds, until the verdict,
// --max-seconds or Ctrl-C. What it watches comes from the stack's own folder (the local default's
// files) or from the bake's sources as its target gives them (src/canary/sources.ts): the request
// judge when requests are logged as they end, the metric checks from the target's store; on AWS
// the ALB's logs arrive after the bake, which the line says instead of showing requests.
import { setTimeout as sleep } from "node:timers/promises";
import { CanaryJudge, type Judgement } from "./judge";
import { formatProgress, type LiveJudgement } from "./live";
import { formatMetricProgress } from "../monitors/metric-judge";
import type { CanaryEvidenceInputs } from "../../targets/canary-evidence";
import { liveJudgement, metricSetup } from "./bake";
import type { CanarySources } from "./sources";

export interface Watched {
    readonly canary: string;
    /** The request judge, fed as requests are logged. @default - requests arrive after the bake (note says so) */
    readonly live?: LiveJudgement;
    /** Brings copies of remote logs up to date before each look. @default - the logs are local */
    readonly catchUp?: (rounds?: number) => Promise<void>;
    /** The judge: the live one's, or one with only the metric checks when requests are not judged live (its request checks stay undecided); its metric checks, if any, are `judge.metrics`. */
    readonly judge: CanaryJudge;
    /** Said in each line: why no requests are judged live, or why the metric checks are off. @default - nothing */
    readonly note?: string;
}

export interface WatchTiming {
    /** When the watch started (epoch ms). */
    readonly started: number;
    readonly everySeconds: number;
    readonly maxSeconds: number;
    /** Ends the watch before its next look (Ctrl-C). */
    readonly interrupted: () => boolean;
}

/** One line: the requests per side (or why none), the metric checks per side. */
export function watchLine(w: Watched, maxSeconds: number, now = Date.now(), started = now): string {
    const requests = w.live ? formatProgress(w.live.progress(), maxSeconds) : `${w.canary} ${((now - started) / 1000).toFixed(0)} s/${maxSeconds} s`;
    const metrics = w.judge.metrics;
    return [requests, ...(w.note ? [w.note] : []), ...(metrics ? [formatMetricProgress(metrics.progress())] : [])].join(" | ");
}

/** Watches until a verdict (a failure; or the request judge's pass with every metric check passed), the end or an interrupt; the judgement as it stands then. */
export async function watchBake(w: Watched, t: WatchTiming, out: (line: string) => void): Promise<Judgement> {
    const judge = w.judge;
    const metrics = judge.metrics;
    const deadline = t.started + t.maxSeconds * 1000;
    for (let i = 0; i <= Math.ceil(t.maxSeconds / t.everySeconds) && !t.interrupted(); i++) {
        await w.catchUp?.(2);
        w.live?.poll();
        await metrics?.poll();
        out(`${watchLine(w, t.maxSeconds, Date.now(), t.started)}\n`);
        // a failure, or the request checks' pass with every metric check passed (judge.ts); without
        // live requests the metric checks are all a watch can decide: it stops when they passed
        const decided = judge.judgement(false).verdict !== "undecided" || (!w.live && metrics?.withinTolerance() === true);
        if (decided || Date.now() >= deadline) {
            break;
        }
        await sleep(Math.min(t.everySeconds * 1000, Math.max(0, deadline - Date.now())));
    }
    // the verdict as the bake's judge gives it (the metric checks are one of its checks)
    return judge.judgement(false);
}

/**
 * A bake as `zdr watch` sees it from another process: its description (the judgement's inputs,
 * from the stack's state: ./baking.ts) and the same sources the bake reads (targets/evidence.ts),
 * judged by the same judges (./bake.ts), with two differences: the watch judges from when it starts
 * (or --since), and against the stable servers (a local default's fresh baseline is the bake's
 * own). It only reads: copies of remote logs go to its own folder, a failing canary is left to the bake.
 */
export async function watchedBake(i: CanaryEvidenceInputs, sources: CanarySources, from: number): Promise<Watched> {
    const setup = metricSetup(i, sources, undefined, from);
    const requests = sources.requests;
    const metricsOff = setup ? undefined : i.metricsOff;
    if (requests.kind === "delivered") {
        return { canary: i.canary, note: [requests.note, ...(metricsOff ? [metricsOff] : [])].join(" | "), judge: new CanaryJudge(i.judge, setup ? { metrics: setup } : {}) };
    }
    // the stable servers' recent lines first: their error templates are known, never new
    await requests.catchUp();
    const live = liveJudgement(i, requests, from, undefined, undefined, setup);
    return { canary: i.canary, live, judge: live.judge, catchUp: (rounds) => requests.catchUp(rounds), ...(metricsOff ? { note: metricsOff } : {}) };
}
