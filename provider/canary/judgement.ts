// zdr:canary:Judgement — after a canary is reattached: judge the canary's requests against the
// baseline servers' as they come (HAProxy's log is read every second, from where the last read
// ended), and stop the bake the moment the sequential judge decides; `bakeSeconds` is the
// longest wait. A failing verdict is recorded (`failure`, with the comparison), not thrown, so
// that the other servers of the batch finish their steps; the batch's check then fails the `up`
// and no later server moves (docs/release-graph.md). The canary is left out of the load balancer at once (HAProxy's
// `maint`: no new request reaches it, those in flight finish; its process and logs stay for
// inspection) unless `keepServingOnFail`. A canary still undecided at the end of the bake is inconclusive: its
// report says what was ruled out, and the release goes on unless `stopWhenInconclusive`. The verdict is
// kept (reportFile) for that deployment of the canary: every later `up` stops at it again,
// without judging anew, until the canary is rolled back (a new deployment) or the verdict is
// accepted in config.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as provider from "@pulumi/pulumi/provider";
import { AppLogTemplate, AppLogWatch } from "../../src/canary/app-log";
import { formatProgress, LiveJudgement } from "../../src/canary/live";
import { LoggedRequest } from "../../src/canary/evidence";
import { CanaryJudge, formatJudgement, Judgement } from "../../src/canary/judge";
import { renderCanaryReport } from "../../src/canary/report";
import { liveJudgement, metricSetup } from "../../src/canary/bake";
import type { CanaryEvidenceInputs } from "../../targets/canary-evidence";
import { runtimeOf } from "../../src/haproxy/runtime";
import { canarySources } from "../../targets/evidence";
import type { SshHost } from "../../contract/ssh";
import { changedKeys } from "../diff";
import { engineLog } from "./engine-log";
import { serverInstance } from "../../src/monitors/prometheus-config";
import { formatMetricProgress } from "../../src/monitors/metric-judge";
import type { MetricsCheck } from "../../src/canary/checks/metrics";
import { FreshBaselineInputs, RunningFreshBaseline, startFreshBaseline } from "./fresh-baseline";
import { removeScrapeTarget, type ScrapeTargetInputs, writeScrapeTarget } from "../../targets/local/provider/scrape-target";

export { judgementType } from "../../contract/tokens";

/** The judgement's inputs: the canary and its evidence (targets/canary-evidence.ts, read by the bake and `zdr watch`), and how the bake ends. */
export interface JudgementInputs extends CanaryEvidenceInputs {
    /** The id of the canary's deploy: a new deployment is judged anew. */
    readonly deployment: string;
    /** The longest the bake waits for a verdict. */
    readonly bakeSeconds: number;
    /** Stop the `up` on an inconclusive verdict too. @default false */
    readonly stopWhenInconclusive?: boolean;
    /** HAProxy's runtime API and backend: a failing canary is set to `maint` there. @default - not left out (the ALB target) */
    readonly leaveOutOnFail?: {
        readonly runtimeApi: string;
        readonly backend: string;
        /** The runtime API's socket is on this host, reached over SSH. @default - a local socket or address */
        readonly ssh?: SshHost;
    };
    /**
     * A fresh baseline beside the canary (the local default): the stable version started when the
     * bake starts, added to HAProxy at the canary's weight, and the canary's latency and tail
     * compared with it alone (./fresh-baseline.ts). Should it not start, the canary is judged against
     * the stable servers as they are, and the report says why. @default - none (hosts, AWS)
     */
    readonly freshBaseline?: FreshBaselineInputs;
    /** Keep a failing canary in the load balancer (today's behaviour, to watch it longer). @default false */
    readonly keepServingOnFail?: boolean;
    /** The team accepted this canary's verdict in config: no judgement. */
    readonly accepted: boolean;
    /** Where the judgement is written as JSON; an HTML page with charts goes beside it. */
    readonly reportFile: string;
    /**
     * Why the canary is not in the load balancer at this `up` (its membership's `failure`): it is
     * not judged; the judgement records "not judged" and judges it at the next `up`.
     * @default - it is in the load balancer
     */
    readonly notServing?: string;
}

export interface JudgementOutputs extends JudgementInputs {
    /**
     * "pass": the judgement let the canary through (a pass, or an inconclusive verdict the release
     * goes on with). "fail" (or "inconclusive" with stopWhenInconclusive): it stops the `up` (the
     * batch's check fails on its `failure`), `zdr status` says so, and every later `up` stops at
     * it again until it is rolled back. "not judged": the canary was not serving (`notServing`).
     * States from before issue 28 hold a stopping verdict as a resource failed to initialise.
     */
    readonly verdict: "pass" | "accepted" | "fail" | "inconclusive" | "not judged";
    /** Why the verdict stops the release (its message, with the comparison), when it does. @default - it does not */
    readonly failure?: string;
    /** The judge's own verdict. */
    readonly outcome?: "pass" | "inconclusive";
    /** The checks that failed the canary. @default - none */
    readonly failedChecks?: string[];
    /** The failing canary was left out of the load balancer (HAProxy's maint). @default false */
    readonly leftOut?: boolean;
}

/** Requests kept for the report's charts; the judge itself keeps no request list. */
const reportRequests = 200_000;
/** Time between two live lines of a bake. */
const progressEveryMs = 5000;
/** Time between two reads of CloudWatch's metrics in a bake (a read asks only for periods due). */
const cloudWatchPollMs = 5000;

/** What a judgement writes in its report beside the judge's own verdict. */
export interface JudgementRecord extends Judgement {
    readonly from: number;
    readonly to: number;
    readonly appLogTemplates?: AppLogTemplate[];
    /** When a failing canary was set to `maint` in HAProxy (epoch ms): no request reaches it from then on. */
    readonly leftOutAt?: number;
    /**
     * The fresh baseline the canary's latency and tail were compared with: its server name, when
     * it joined HAProxy (epoch ms), or why it could not be started (the stable servers were used).
     */
    readonly freshBaseline?: { readonly server: string; readonly joinedAt?: number; readonly error?: string; readonly removal?: string };
    /** Why no metric check was judged (JudgementInputs.metricsOff). */
    readonly metricsOff?: string;
}

/** Leaves a failing canary out of HAProxy (`maint`) at once; returns when, or undefined when it stays in. */
async function leaveOut(i: JudgementInputs, j: Judgement): Promise<number | undefined> {
    if (j.verdict !== "fail" || !i.leaveOutOnFail || i.keepServingOnFail) {
        return undefined;
    }
    const runtime = runtimeOf(i.leaveOutOnFail);
    await runtime.setServerState(i.leaveOutOnFail.backend, i.canary, "maint");
    return Date.now();
}

/**
 * Bakes and judges; `progress` gets a live line every few seconds (requests, errors, p50/p99 per
 * version, the evidence so far) on the HAProxy targets.
 */
export async function bakeAndJudge(i: JudgementInputs, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)), progress?: (line: string) => void): Promise<JudgementRecord> {
    const from = Date.now();
    let deadline = from + i.bakeSeconds * 1000;
    const requests: LoggedRequest[] = [];
    const keep = (r: LoggedRequest) => {
        if (requests.length < reportRequests) {
            requests.push(r);
        }
    };
    let judge: CanaryJudge;
    let live: LiveJudgement | undefined;
    let cloudWatch: AppLogWatch | undefined;
    let metrics: MetricsCheck | undefined;
    /** The metric read in flight, if any (one at a time). */
    let metricRead: Promise<void> | undefined;
    let fresh: RunningFreshBaseline | undefined;
    let scraped: ScrapeTargetInputs | undefined;
    let freshRecord: JudgementRecord["freshBaseline"];
    // the target's sources: copies of remote logs beside the report
    const sources = canarySources(i, i.reportFile.replace(/\.json$/, ""));
    if (i.freshBaseline && sources.requests.kind === "live") {
        try {
            fresh = await startFreshBaseline(i.canary, i.freshBaseline);
            freshRecord = { server: fresh.server, joinedAt: Date.now() };
            if (i.prometheus?.freshTargets) {
                // scraped like the stable servers while it runs (prometheus-config.ts, freshTargetsDir)
                scraped = { folder: i.prometheus.freshTargets, server: fresh.server, address: serverInstance(fresh.port) };
                writeScrapeTarget(scraped);
            }
            // the bake is the time compared: it starts when the fresh baseline takes requests
            deadline = Date.now() + i.bakeSeconds * 1000;
            progress?.(`${i.canary}: fresh baseline ${fresh.server} (${i.freshBaseline.version}) in HAProxy; the canary's latency is compared with it`);
        } catch (e) {
            freshRecord = { server: "", error: e instanceof Error ? e.message : String(e) };
            progress?.(`${i.canary}: no fresh baseline (${freshRecord.error}); compared with the stable servers as they are`);
        }
    }
    try {
        const requests = sources.requests;
        if (requests.kind === "live") {
            // the stable servers' recent lines first: their error templates are known, never new
            await requests.catchUp();
            const setup = metricSetup(i, sources, fresh && freshRecord?.joinedAt !== undefined ? { server: fresh.server, port: fresh.port, joinedAt: freshRecord.joinedAt } : undefined, from);
            live = liveJudgement(i, requests, from, fresh && i.freshBaseline ? { server: fresh.server, logFile: i.freshBaseline.logFile } : undefined, keep, setup);
            judge = live.judge;
            metrics = judge.metrics;
            let lastLine = 0;
            // with metric checks, only a failure ends the bake early (a leak shows over time: judge.ts)
            const decided = () => judge.decision !== undefined;
            while (!decided() && Date.now() < deadline) {
                await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
                await requests.catchUp(2);
                // one metric read in flight at a time, beside the log reads (each bounded: metric-judge.ts)
                metricRead ??= metrics?.poll().finally(() => (metricRead = undefined));
                live.poll();
                if (progress && Date.now() - lastLine >= progressEveryMs) {
                    progress(`${formatProgress(live.progress(), i.bakeSeconds)}${metrics ? ` | ${formatMetricProgress(metrics.progress())}` : i.metricsOff ? ` | ${i.metricsOff}` : ""}`);
                    lastLine = Date.now();
                }
            }
            if (!decided()) {
                // HAProxy logs a request when it ends: the last second's requests are still coming.
                await sleep(1500);
                await requests.catchUp();
                live.poll(deadline);
                // the metrics to the bake's end (the last steps' scrapes have landed by now)
                await metricRead;
                if (metrics && !judge.decision) {
                    await metrics.poll(Math.min(Date.now(), deadline + 2000));
                }
            }
            // a failure does not wait for a metric read in flight: the canary leaves HAProxy first
        } else {
            // The ALB delivers its logs every five minutes: one read after the bake and the delivery.
            const setup = metricSetup(i, sources, undefined, from);
            judge = new CanaryJudge(i.judge, setup ? { metrics: setup } : {});
            metrics = judge.metrics;
            if (metrics) {
                // CloudWatch through the bake, a read a few seconds (each bounded); a failing check ends it
                let lastLine = 0;
                while (!judge.decision && Date.now() < deadline) {
                    await sleep(Math.min(cloudWatchPollMs, Math.max(0, deadline - Date.now())));
                    await metrics.poll();
                    if (progress && Date.now() - lastLine >= progressEveryMs) {
                        progress(`${i.canary}: ${Math.round((Date.now() - from) / 1000)} s of ${i.bakeSeconds} s | ${formatMetricProgress(metrics.progress())}`);
                        lastLine = Date.now();
                    }
                }
                deadline = Math.min(deadline, Date.now());
                // the bake's last periods, once they landed (their lag): read after the logs' delivery
                metrics.end(deadline);
            } else {
                await sleep(i.bakeSeconds * 1000);
            }
            await sleep(requests.deliverySeconds * 1000);
            if (metrics && !judge.decision) {
                // the delivery's wait covers the checks' lag; a few reads bound a long bake's rest
                for (let k = 0; k < 3 && !judge.decision; k++) {
                    await metrics.poll();
                }
            }
            // All of the window is read at once here: the verdict (and decidedAfter) is where the
            // stream decided (a metric check that failed during the bake decided it before any
            // request: "before any canary request was judged"); later requests only fill the counts
            // and the report.
            const delivered = await requests.read(from, deadline);
            cloudWatch = delivered.appLogs;
            for (const r of delivered.requests) {
                judge.add(r.server === i.canary ? "canary" : "baseline", r.t, r);
                keep(r);
            }
        }
    } catch (e) {
        if (scraped) {
            removeScrapeTarget(scraped);
        }
        await fresh?.stop();
        throw e;
    }
    const to = Math.min(Date.now(), deadline);
    // a check passes only with data to the bake's end (metric-judge.ts)
    metrics?.end(to);
    let j = judge.judgement(true);
    // Out of the load balancer before anything else (the report takes a while to draw).
    const leftOutAt = await leaveOut(i, j);
    // a failing canary leaves first; the fresh baseline goes in every case
    if (scraped) {
        removeScrapeTarget(scraped);
    }
    if (fresh) {
        const removal = await fresh.stop();
        freshRecord = { ...(freshRecord as NonNullable<typeof freshRecord>), ...(removal ? { removal } : {}) };
    }
    // a read still in flight (the bake ended on a failure) lands in the record: the verdict was a
    // failure and stays one, the checks and their evidence are what was read
    if (metricRead) {
        await metricRead;
        j = judge.judgement(true);
    }
    const appLogTemplates = (live?.appLogs ?? cloudWatch)?.templates();
    fs.mkdirSync(path.dirname(i.reportFile), { recursive: true });
    const extra = { ...(appLogTemplates ? { appLogTemplates } : {}), ...(leftOutAt !== undefined ? { leftOutAt } : {}), ...(freshRecord ? { freshBaseline: freshRecord } : {}), ...(i.metricsOff ? { metricsOff: i.metricsOff } : {}) };
    fs.writeFileSync(i.reportFile, `${JSON.stringify({ canary: i.canary, version: i.version, deployment: i.deployment, baseline: i.baseline, from, to, ...j, ...extra }, null, 2)}\n`);
    const metricEvidence = metrics?.evidenceRecord();
    if (metricEvidence) {
        // what every metric check read, point by point, beside the judgement
        fs.writeFileSync(i.reportFile.replace(/\.json$/, ".metrics.json"), `${JSON.stringify({ ...sources.metricsRecord, baseline: metrics?.baseline, checks: metricEvidence }, null, 1)}\n`);
    }
    const html = await renderCanaryReport({ canary: i.canary, version: i.version, baseline: i.baseline, from, to, judgement: j, requests, ...(appLogTemplates ? { appLogTemplates } : {}), ...(metricEvidence ? { metrics: metricEvidence } : {}) });
    fs.writeFileSync(i.reportFile.replace(/\.json$/, ".html"), html);
    return { ...j, from, to, ...extra };
}

/** A verdict that lets the release go on: a later `up` leaves it alone unless its inputs change. */
function settled(j: JudgementOutputs): boolean {
    return j.verdict === "pass" || j.verdict === "accepted";
}

export const judgementProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: JudgementOutputs, news: JudgementInputs) {
        // The baseline shrinks as later canaries move: that alone does not re-judge this one.
        const changed = changedKeys(olds, news, ["verdict", "outcome", "failure", "failedChecks", "leftOut"]);
        return { changes: changed.length > 0 || !settled(olds), replaces: changed.filter((k) => ["canary", "version", "deployment", "accepted", "requestLog", "albLogs"].includes(k)) };
    },
    async update(_id, urn, olds: JudgementOutputs, news: JudgementInputs) {
        // A judgement that stopped an `up` (or did not judge) is updated on every later `up`: its
        // verdict stands (or is judged anew) as in a create.
        if (!settled(olds)) {
            return { outs: (await judgementProvider.create(urn, news)).outs };
        }
        return { outs: { ...news, verdict: olds.verdict, ...(olds.outcome ? { outcome: olds.outcome } : {}) } };
    },
    async create(urn, inputs: JudgementInputs): Promise<{ id: string; outs: JudgementOutputs }> {
        if (inputs.accepted) {
            return { id: `${inputs.canary}@${inputs.version}`, outs: { ...inputs, verdict: "accepted" } };
        }
        if (inputs.notServing !== undefined) {
            return { id: `${inputs.canary}@${inputs.version}`, outs: { ...inputs, verdict: "not judged" } };
        }
        const earlier = fs.existsSync(inputs.reportFile) ? (JSON.parse(fs.readFileSync(inputs.reportFile, "utf8")) as JudgementRecord & { deployment?: string; baseline: string[] }) : undefined;
        const stands = earlier !== undefined && earlier.deployment === inputs.deployment && (earlier.verdict === "fail" || (earlier.verdict === "inconclusive" && inputs.stopWhenInconclusive === true));
        const baseline = stands && earlier ? earlier.baseline : inputs.baseline;
        const j = stands ? earlier : await bakeAndJudge(inputs, undefined, (line) => void engineLog(urn, line));
        if (j.verdict === "fail" || (j.verdict === "inconclusive" && inputs.stopWhenInconclusive)) {
            // A verdict that stands leaves the canary out again (a reload or a refresh may have brought it back).
            const leftOut = (stands ? await leaveOut(inputs, j) : j.leftOutAt) !== undefined;
            const message =
                `canary ${inputs.canary} (${inputs.version}) ${j.verdict === "fail" ? "failed" : "was inconclusive in"} its judgement against ${baseline.join(", ")} after ${((j.to - j.from) / 1000).toFixed(1)} s (of at most ${inputs.bakeSeconds} s)` +
                    `${stands ? ` (judged at ${new Date(earlier?.to ?? 0).toISOString()}; the verdict stands for this deployment)` : ""}:\n${formatJudgement(j)}\n` +
                    `${leftOut ? `${inputs.canary} is out of the load balancer (HAProxy state maint); its process and logs are kept for inspection.\n` : ""}` +
                    `${inputs.metricsOff ? `${inputs.metricsOff}.\n` : ""}` +
                    `Roll it back (lower canaryCount or pin ${inputs.canary}=<stable version>) or accept the verdict (acceptVerdicts: ["${inputs.canary}=${inputs.version}"]). Details: ${inputs.reportFile}`;
            const id = `${inputs.canary}@${inputs.version}`;
            const failedChecks = j.checks.filter((c) => c.verdict === "fail").map((c) => c.name);
            return { id, outs: { ...inputs, verdict: j.verdict, failedChecks, leftOut, failure: message } };
        }
        return { id: `${inputs.canary}@${inputs.version}`, outs: { ...inputs, verdict: "pass", outcome: j.verdict === "inconclusive" ? "inconclusive" : "pass" } };
    },
    async delete() {
        // A judgement is a record; nothing to undo.
    },
};
