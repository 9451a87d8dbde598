// zdr:canary:Judgement — after a canary is reattached: bake, then judge the canary's requests
// against the baseline servers' over the same window. A failing or inconclusive verdict fails
// the create, so the `up` stops with the comparison and no later server moves. The verdict is
// kept (reportFile) for that deployment of the canary: every later `up` stops at it again,
// without judging anew, until the canary is rolled back (a new deployment) or the verdict is
// accepted in config.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as provider from "@pulumi/pulumi/provider";
import { S3Client } from "@aws-sdk/client-s3";
import { readAlbLogs } from "../../src/canary/alb-log";
import { LoggedRequest, requestsOf } from "../../src/canary/evidence";
import { formatJudgement, judge, Judgement } from "../../src/canary/judge";
import { renderCanaryReport } from "../../src/canary/report";
import { changedKeys } from "../diff";

export const judgementType = "zdr:canary:Judgement";

export interface JudgementInputs {
    /** HAProxy's request log (local default, HAProxy targets). */
    readonly requestLog?: string;
    /** The ALB's access logs in S3 (AWS target). */
    readonly albLogs?: {
        readonly bucket: string;
        readonly prefix: string;
        readonly region: string;
        /** Server name -> "ip:port" as the log names the target. */
        readonly targets: Record<string, string>;
        /** @default 330 */
        readonly deliverySeconds?: number;
        readonly endpoint?: string;
    };
    readonly canary: string;
    readonly version: string;
    /** The id of the canary's deploy: a new deployment is judged anew. */
    readonly deployment: string;
    /** Servers on the stable version, in the load balancer. */
    readonly baseline: string[];
    readonly bakeSeconds: number;
    readonly minSamples: number;
    /** The team accepted this canary's verdict in config: no judgement. */
    readonly accepted: boolean;
    /** Where the judgement is written as JSON; an HTML page with charts goes beside it. */
    readonly reportFile: string;
}

export interface JudgementOutputs extends JudgementInputs {
    readonly verdict: "pass" | "accepted";
}

async function evidence(i: JudgementInputs, from: number, to: number): Promise<{ canary: LoggedRequest[]; baseline: LoggedRequest[] }> {
    if (!i.albLogs) {
        if (!i.requestLog) {
            throw new Error(`judgement of ${i.canary}: neither requestLog nor albLogs is set`);
        }
        return { canary: requestsOf(i.requestLog, [i.canary], from, to), baseline: requestsOf(i.requestLog, i.baseline, from, to) };
    }
    const a = i.albLogs;
    const s3 = new S3Client({ region: a.region, ...(a.endpoint ? { endpoint: a.endpoint, forcePathStyle: true } : {}) });
    const serverOf = new Map(Object.entries(a.targets).map(([server, target]) => [target, server]));
    const named = (await readAlbLogs(s3, { bucket: a.bucket, prefix: a.prefix }, from, to)).flatMap((r) => {
        const server = serverOf.get(r.server);
        return server ? [{ ...r, server }] : [];
    });
    return { canary: named.filter((r) => r.server === i.canary), baseline: named.filter((r) => i.baseline.includes(r.server)) };
}

export async function bakeAndJudge(i: JudgementInputs, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<Judgement> {
    // The first quarter of the bake (at least a second) is left out: a freshly started process
    // is still warming up (JIT, database connections) and answers slower for a few seconds.
    const from = Date.now() + Math.max(1000, i.bakeSeconds * 250);
    await sleep(i.bakeSeconds * 1000);
    const to = Date.now();
    // HAProxy logs a request when it ends; the ALB delivers its logs every five minutes.
    await sleep(i.albLogs ? (i.albLogs.deliverySeconds ?? 330) * 1000 : 1500);
    const { canary, baseline } = await evidence(i, from, to);
    const j = judge(baseline, canary, { minSamples: i.minSamples });
    fs.mkdirSync(path.dirname(i.reportFile), { recursive: true });
    fs.writeFileSync(i.reportFile, `${JSON.stringify({ canary: i.canary, version: i.version, deployment: i.deployment, baseline: i.baseline, from, to, ...j }, null, 2)}\n`);
    const html = await renderCanaryReport({ canary: i.canary, version: i.version, baseline: i.baseline, from, to, judgement: j, requests: [...canary, ...baseline] });
    fs.writeFileSync(i.reportFile.replace(/\.json$/, ".html"), html);
    return j;
}

export const judgementProvider: Required<Pick<provider.Provider, "diff" | "create" | "update" | "delete">> = {
    async diff(_id, _urn, olds: JudgementOutputs, news: JudgementInputs) {
        // The baseline shrinks as later canaries move: that alone does not re-judge this one.
        const changed = changedKeys(olds, news, ["verdict"]);
        return { changes: changed.length > 0, replaces: changed.filter((k) => ["canary", "version", "deployment", "accepted", "requestLog", "albLogs"].includes(k)) };
    },
    async update(_id, _urn, olds: JudgementOutputs, news: JudgementInputs) {
        return { outs: { ...news, verdict: olds.verdict } };
    },
    async create(_urn, inputs: JudgementInputs) {
        if (inputs.accepted) {
            return { id: `${inputs.canary}@${inputs.version}`, outs: { ...inputs, verdict: "accepted" } };
        }
        const earlier = fs.existsSync(inputs.reportFile) ? (JSON.parse(fs.readFileSync(inputs.reportFile, "utf8")) as Judgement & { deployment?: string; to: number; baseline: string[] }) : undefined;
        const stands = earlier !== undefined && earlier.deployment === inputs.deployment && earlier.verdict !== "pass";
        const baseline = stands && earlier ? earlier.baseline : inputs.baseline;
        const j = stands ? earlier : await bakeAndJudge(inputs);
        if (j.verdict !== "pass") {
            throw new Error(
                `canary ${inputs.canary} (${inputs.version}) ${j.verdict === "fail" ? "failed" : "was inconclusive in"} its judgement against ${baseline.join(", ")} after ${inputs.bakeSeconds} s` +
                    `${stands ? ` (judged at ${new Date(earlier?.to ?? 0).toISOString()}; the verdict stands for this deployment)` : ""}:\n${formatJudgement(j)}\n` +
                    `Roll it back (lower canaryCount or pin ${inputs.canary}=<stable version>) or accept the verdict (acceptVerdicts: ["${inputs.canary}=${inputs.version}"]). Details: ${inputs.reportFile}`,
            );
        }
        return { id: `${inputs.canary}@${inputs.version}`, outs: { ...inputs, verdict: "pass" } };
    },
    async delete() {
        // A judgement is a record; nothing to undo.
    },
};
