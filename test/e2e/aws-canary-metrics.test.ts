// The canary's metric checks on AWS (issue 25, item 3): the team's own CloudWatch metric, put per
// instance with PutMetricData into moto's CloudWatch (on loopback), read by the judgement's bake
// (GetMetricData per server, through the AWS SDK v3) beside the ALB's access logs in moto's S3, and
// judged by the same judge as Prometheus' values on the local default. moto serves GetMetricData's
// MetricStat with Sum, Average, Minimum, Maximum and SampleCount (moto/cloudwatch/models.py,
// get_metric_data; a percentile makes it answer 500); EC2's CPUUtilization it does not generate:
// test/unit/targets/aws/cloudwatch-metrics.test.ts replays answers of it instead.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { bakeAndJudge } from "../../provider/canary/judgement";
import { parseAwsMetricChecks } from "../../targets/aws/config";
import { Moto, startMoto } from "../support/moto";

const prefix = "alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/";
const targets = { "web-1": "10.0.1.10:8080", "web-2": "10.0.1.11:8080", "web-3": "10.0.1.12:8080" };
const instances = { "web-1": "i-0aaaaaaaaaaaaaaa1", "web-2": "i-0bbbbbbbbbbbbbbb2", "web-3": "i-0ccccccccccccccc3" };
const bakeSeconds = 60;

/** The team's check as it declares it in Pulumi.<stack>.yaml: the app's CPU milliseconds per request, high-resolution (1 s) values. */
const declared = [{ name: "cpu-ms", namespace: "Webshop", metricName: "CpuMsPerRequest", statistic: "Average", dimensions: { InstanceId: "{instanceId}" }, periodSeconds: 1, lagSeconds: 1, better: "lower", tolerance: 0.5 }];

/** One access-log line in the ALB's format (status 200). */
function albLine(t: number, target: string, seconds: number): string {
    const iso = new Date(t).toISOString();
    return `http ${iso} app/aws-alb/fedcba9876543210 192.168.1.9:52311 ${target} 0.000 ${seconds.toFixed(3)} 0.000 200 200 120 812 ` +
        `"GET http://aws-alb-1.eu-central-1.elb.amazonaws.com:80/products HTTP/1.1" "autocannon" - - arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef ` +
        `"Root=1-6745a1b2-0123456789abcdef01234567" "-" "-" 0 ${iso} "forward" "-" "-" "${target}" "200" "-" "-" TID_0123`;
}

describe("canary metric checks from CloudWatch (moto): the team's own metric per instance", function () {
    this.timeout(300_000);
    let moto: Moto;
    let s3: S3Client;
    let cw: CloudWatchClient;
    let dir: string;

    before(async () => {
        moto = await startMoto();
        s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
        cw = new CloudWatchClient(moto.clientConfig);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-cwm-"));
    });
    after(async () => {
        await moto?.stop();
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    /**
     * The bake's evidence, put before it starts: each server's metric a value a second from 5 s
     * before to 15 s after the bake (the canary's at `canaryFactor` times the baseline's). Its own
     * metric name per case: moto matches a query with dimensions by metric name and dimensions only.
     */
    async function metrics(metricName: string, canaryFactor: number | undefined, start: number): Promise<void> {
        const first = Math.floor(start / 1000) - 5;
        for (const [server, id] of Object.entries(instances)) {
            if (server === "web-1" && canaryFactor === undefined) {
                continue;
            }
            const data = Array.from({ length: bakeSeconds + 20 }, (_, k) => {
                const base = 12 + ((k * 7 + server.length + id.charCodeAt(4)) % 5) / 2;
                return { MetricName: metricName, Dimensions: [{ Name: "InstanceId", Value: id }], Timestamp: new Date((first + k) * 1000), Value: server === "web-1" ? base * (canaryFactor as number) : base, Unit: "Milliseconds" as const, StorageResolution: 1 };
            });
            await cw.send(new PutMetricDataCommand({ Namespace: "Webshop", MetricData: data }));
        }
    }

    /**
     * Bakes and judges; the ALB "delivers" its log of the bake (20 requests a second per server, all
     * 200) during the bake's first wait: the judge reads files written after the bake started.
     */
    async function bake(bucket: string, metricName: string, start: number) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
        let delivered = false;
        const sleep = async (ms: number) => {
            await new Promise((r) => setTimeout(r, ms));
            if (!delivered) {
                delivered = true;
                const lines: string[] = [];
                // every server's latencies drawn alike, 4-10 ms (a fixed seed)
                let seed = 25;
                const latency = () => {
                    seed = (seed * 1103515245 + 12345) % 2 ** 31;
                    return 0.004 + (0.006 * seed) / 2 ** 31;
                };
                for (let t = 2000; t < bakeSeconds * 1000 - 1000; t += 50) {
                    for (const target of Object.values(targets)) {
                        lines.push(albLine(start + t, target, latency()));
                    }
                }
                await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${new Date(start).toISOString().slice(0, 10).replace(/-/g, "/")}/bake.log.gz`, Body: gzipSync(lines.join("\n")) }));
            }
        };
        const problems: string[] = [];
        const checks = parseAwsMetricChecks({ awsCanaryMetrics: JSON.stringify([{ ...declared[0], metricName }]), canaryDefaultMetrics: "false" }, bakeSeconds, problems);
        assert.deepEqual(problems, []);
        const lines: string[] = [];
        const reportFile = path.join(dir, `web-1-${bucket}.json`);
        const j = await bakeAndJudge({
            albLogs: { bucket, prefix, region: "eu-central-1", endpoint: moto.endpoint, deliverySeconds: 0, targets },
            cloudWatchMetrics: { region: "eu-central-1", endpoint: moto.endpoint, instances },
            metricChecks: checks,
            canary: "web-1", version: "v2", deployment: "d-1", baseline: ["web-2", "web-3"], bakeSeconds, accepted: false, reportFile,
        }, sleep, (l) => lines.push(l));
        return { j, lines, reportFile };
    }

    it("fails a canary at twice its baseline's value on its check, within the bake, the values per side in the verdict", async () => {
        const start = Date.now();
        await metrics("CpuMsRegression", 2, start);
        const { j, lines, reportFile } = await bake("regression", "CpuMsRegression", start);
        assert.equal(j.verdict, "fail", JSON.stringify(j.checks));
        const check = j.checks.find((c) => c.name === "metric: cpu-ms");
        assert.equal(check?.verdict, "fail", JSON.stringify(j.checks));
        assert.match(check?.detail ?? "", /canary 2\d\.?\d* vs baseline 1\d\.?\d* \(medians of the last 10 s\); beyond the tolerance \(at most 1\.5x the baseline, lower is better\) in (\d+) of \1 steps; failed at \S+Z \((\d+) s into the bake\)/);
        assert.ok(j.to - j.from < bakeSeconds * 1000, `the failing check ends the bake: ${j.to - j.from} ms of ${bakeSeconds * 1000}`);
        assert.ok(lines.some((l) => /^web-1: \d+ s of 60 s \| metrics cpu-ms \S+ vs \S+ /.test(l)), lines.join("\n"));
        const kept = JSON.parse(fs.readFileSync(reportFile.replace(/\.json$/, ".metrics.json"), "utf8")) as { cloudWatch: { region: string }; checks: { source: string; stepSeconds: number; points: unknown[] }[] };
        assert.equal(kept.cloudWatch.region, "eu-central-1");
        assert.deepEqual([kept.checks[0].source, kept.checks[0].stepSeconds], ["CloudWatch", 1]);
        assert.ok(kept.checks[0].points.length >= 10);
        assert.match(fs.readFileSync(reportFile.replace(/\.json$/, ".html"), "utf8"), /values as it read them from CloudWatch, a point a second/);
    });

    it("passes a canary like its baseline: its check passes with data to the bake's end, and the requests pass", async () => {
        const start = Date.now();
        await metrics("CpuMsHealthy", 1.05, start);
        const { j } = await bake("healthy", "CpuMsHealthy", start);
        const check = j.checks.find((c) => c.name === "metric: cpu-ms");
        assert.equal(check?.verdict, "pass", JSON.stringify(j.checks));
        assert.equal(j.verdict, "pass", JSON.stringify(j.checks));
    });

    it("leaves the check undecided, never passed, when CloudWatch has no value of the canary", async () => {
        const start = Date.now();
        await metrics("CpuMsMissing", undefined, start);
        const { j } = await bake("missing", "CpuMsMissing", start);
        const check = j.checks.find((c) => c.name === "metric: cpu-ms");
        assert.equal(check?.verdict, "undecided", JSON.stringify(j.checks));
        assert.match(check?.detail ?? "", /undecided: no data for the canary web-1/);
        assert.notEqual(j.verdict, "pass");
    });
});
