// The canary's own log lines on AWS: CloudWatch Logs (moto's, on loopback), a log group for the
// app and a stream per instance, read by zdr's own code with the ALB's access logs (moto's S3)
// and judged by the same judge: a new error template on the canary's stream fails it while every
// response is 200; templates the stable servers log too, or logged in the ten minutes before, do not.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { readCloudWatchLogs } from "../../targets/aws/evidence/app-log";
import { bakeAndJudge } from "../../provider/canary/judgement";
import { Moto, startMoto } from "../support/moto";

const prefix = "alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/";
const targets = { "web-1": "10.0.1.10:8080", "web-2": "10.0.1.11:8080", "web-3": "10.0.1.12:8080" };
const streams = { "web-1": "i-0aaaaaaaaaaaaaaa1", "web-2": "i-0bbbbbbbbbbbbbbb2", "web-3": "i-0ccccccccccccccc3" };
const newTemplate = "log: ERROR loyalty points not credited for request <num>: points service refused";

/** One access-log line in the ALB's format (status 200). */
function albLine(t: number, target: string): string {
    const iso = new Date(t).toISOString();
    return `http ${iso} app/aws-alb/fedcba9876543210 192.168.1.9:52311 ${target} 0.000 0.004 0.000 200 200 120 812 ` +
        `"GET http://aws-alb-1.eu-central-1.elb.amazonaws.com:80/products HTTP/1.1" "autocannon" - - arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef ` +
        `"Root=1-6745a1b2-0123456789abcdef01234567" "-" "-" 0 ${iso} "forward" "-" "-" "${target}" "200" "-" "-" TID_0123`;
}

describe("canary evidence from the app's own lines in CloudWatch Logs (moto)", function () {
    this.timeout(120_000);
    let moto: Moto;
    let s3: S3Client;
    let logs: CloudWatchLogsClient;
    let dir: string;

    before(async () => {
        moto = await startMoto();
        s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
        logs = new CloudWatchLogsClient(moto.clientConfig);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-cw-"));
    });
    after(async () => {
        await moto?.stop();
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    async function group(name: string): Promise<void> {
        await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
        for (const s of Object.values(streams)) {
            await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: s }));
        }
    }
    async function put(name: string, server: keyof typeof streams, events: { t: number; message: string }[]): Promise<void> {
        const sorted = [...events].sort((a, b) => a.t - b.t);
        for (let i = 0; i < sorted.length; i += 1000) {
            await logs.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: streams[server], logEvents: sorted.slice(i, i + 1000).map((e) => ({ timestamp: e.t, message: e.message })) }));
        }
    }

    /**
     * A bake of 3 s on the provider's path: once its wait is over, the ALB "delivers" 400 requests per
     * server (all 200) and each server's lines are in its stream; `canaryLogs` says which of the
     * canary's requests write the new error line.
     */
    async function bake(name: string, canaryLogs: (k: number) => boolean) {
        await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
        await group(name);
        let delivered = false;
        const sleep = async (ms: number) => {
            await new Promise((r) => setTimeout(r, ms));
            if (delivered) {
                return;
            }
            delivered = true;
            const now = Date.now();
            const lines: string[] = [];
            const events: Record<keyof typeof streams, { t: number; message: string }[]> = { "web-1": [], "web-2": [], "web-3": [] };
            // a caveat of the stable version, logged before the bake: known, never new
            events["web-2"].push({ t: now - 300_000, message: "ERROR upstream reset by peer after 30 ms" });
            for (let k = 0; k < 400; k++) {
                const t = now - 2900 + k * 6;
                for (const [server, target] of Object.entries(targets) as [keyof typeof streams, string][]) {
                    lines.push(albLine(t, target));
                    events[server].push({ t: t - 2, message: JSON.stringify({ t: t - 2, level: "info", msg: "GET /products 200", request: k }) });
                    if (k % 50 === 7) {
                        events[server].push({ t: t - 1, message: `ERROR upstream reset by peer after ${k} ms` });
                    }
                }
                if (canaryLogs(k)) {
                    events["web-1"].push({ t: t - 1, message: `ERROR loyalty points not credited for request ${k}: points service refused\n    at credit (points.js:42)` });
                }
            }
            await s3.send(new PutObjectCommand({ Bucket: name, Key: `${prefix}${new Date(now).toISOString().slice(0, 10).replace(/-/g, "/")}/live.log.gz`, Body: gzipSync(lines.join("\n")) }));
            for (const server of Object.keys(events) as (keyof typeof streams)[]) {
                await put(name, server, events[server]);
            }
        };
        return bakeAndJudge({
            albLogs: { bucket: name, prefix, region: "eu-central-1", endpoint: moto.endpoint, deliverySeconds: 0, targets },
            cloudWatchLogs: { region: "eu-central-1", group: name, streams, endpoint: moto.endpoint },
            canary: "web-1", version: "logfault", deployment: "d-1", baseline: ["web-2", "web-3"], bakeSeconds: 3, accepted: false,
            reportFile: path.join(dir, name, "web-1-logfault.json"),
        }, sleep);
    }

    it("fails a canary whose stream has a new error template while every response is 200, and names it", async () => {
        const j = await bake("logfault", (k) => k % 10 === 3);
        assert.deepEqual(j.counts, { baseline: 800, canary: 400 });
        assert.equal(j.verdict, "fail", JSON.stringify(j.checks));
        const failed = j.checks.filter((c) => c.verdict === "fail").map((c) => c.name);
        assert.deepEqual(failed, [`new-error: ${newTemplate}`], "the template alone");
        const t = j.appLogTemplates?.find((x) => x.signature === newTemplate);
        assert.ok(t && t.canaryLines === 40 && t.baselineLines === 0, JSON.stringify(j.appLogTemplates));
        assert.ok(j.appLogTemplates?.some((x) => x.template.includes("upstream reset") && x.known), "a known template is listed as known");
        assert.ok(!j.appLogTemplates?.some((x) => x.template.includes("upstream reset") && !x.known), "a known template is not listed as new");
        assert.ok(!j.appLogTemplates?.some((x) => x.template.includes("points.js")), "a continuation line states no error");
        console.log(`      logfault canary on AWS: failed after ${j.decidedAfter} canary requests; template logged ${t?.canaryLines} times on web-1's stream`);
    });

    it("lets a canary through whose error lines the stable servers log too", async () => {
        const j = await bake("healthy", () => false);
        assert.notEqual(j.verdict, "fail", JSON.stringify(j.checks));
        assert.deepEqual(j.checks.filter((c) => c.name.startsWith("new-error")).map((c) => c.name), []);
        assert.deepEqual(j.appLogTemplates?.filter((x) => !x.known).map((x) => x.template) ?? [], [], "no new template");
    });

    it("reads a window page by page, and refuses one with more events than its bound", async () => {
        const from = Date.now() - 60_000;
        const events = Array.from({ length: 260 }, (_, k) => ({ t: from + k * 100, message: `line ${k}` }));
        await group("paged");
        await put("paged", "web-1", events);
        await put("paged", "web-2", events.slice(0, 10));
        const read = await readCloudWatchLogs(logs, { group: "paged", streams }, from, from + 30_000, { pageSize: 50, maxEvents: 10_000, maxPages: 100 });
        assert.deepEqual([read.filter((e) => e.server === "web-1").length, read.filter((e) => e.server === "web-2").length], [260, 10]);
        assert.deepEqual(read.filter((e) => e.server === "web-1").map((e) => e.message), events.map((e) => e.message), "every event once, in time order");
        await assert.rejects(readCloudWatchLogs(logs, { group: "paged", streams }, from, from + 30_000, { pageSize: 50, maxEvents: 100, maxPages: 100 }), /^Error: CloudWatch Logs group paged \(zdr:appLogGroup\): more than 100 events or 100 pages in the window/);
    });
});
