// A bake as `zdr watch` sees it from another process: the judgement's description of the canary
// (its inputs, from the stack's state: src/canary/baking.ts) gives the same sources the bake reads
// (targets/evidence.ts), and the same judges (./judgement.ts, liveJudgement and metricJudge) judge
// them, with two differences said in the docs: the watch judges from when it starts (or --since),
// and against the stable servers (a local default's fresh baseline is the bake's own). It only
// reads: copies of remote logs go to its own folder, and a failing canary is left to the bake.
import type { Watched } from "../../src/canary/watch";
import { canarySources } from "../../targets/evidence";
import { type JudgementInputs, liveJudgement, metricJudge } from "./judgement";

/** `copies`: the start of the paths of its copies of remote logs (a folder of the watch's own). */
export async function watchedBake(i: JudgementInputs, copies: string, from: number): Promise<Watched> {
    const sources = canarySources(i, copies);
    const metrics = metricJudge(i, sources, undefined, from);
    const requests = sources.requests;
    const metricsOff = metrics ? undefined : i.metricsOff;
    if (requests.kind === "delivered") {
        return { canary: i.canary, note: [requests.note, ...(metricsOff ? [metricsOff] : [])].join(" | "), ...(metrics ? { metrics } : {}), ...(i.judge ? { judge: i.judge } : {}) };
    }
    // the stable servers' recent lines first: their error templates are known, never new
    await requests.catchUp();
    return { canary: i.canary, live: liveJudgement(i, requests, from), catchUp: (rounds) => requests.catchUp(rounds), ...(metrics ? { metrics } : {}), ...(metricsOff ? { note: metricsOff } : {}) };
}
