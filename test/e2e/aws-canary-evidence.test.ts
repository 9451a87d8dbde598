// The canary's evidence on AWS: ALB access logs in S3 (moto's S3 on loopback), read by zdr's
// own code and judged by the same judge as HAProxy's log on the local default.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { albFields, parseAlbLog, readAlbLogs } from "../../targets/aws/evidence/alb-log";
import { judge } from "../../src/canary/judge";
import { bakeAndJudge } from "../../provider/canary/judgement";
import { Moto, startMoto } from "../support/moto";

const prefix = "alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/";
const canary = "10.0.1.10:8080";
const baseline = ["10.0.1.11:8080", "10.0.1.12:8080"];

/** One access-log line in the ALB's format. */
function line(t: number, target: string, status: number, seconds: number, path = "/products"): string {
    const iso = new Date(t).toISOString().replace("Z", "123Z");
    return `http ${iso} app/aws-alb/fedcba9876543210 192.168.1.9:52311 ${target} 0.000 ${seconds.toFixed(3)} 0.000 ${status} ${status} 120 ${status === 200 ? 812 : 64} ` +
        `"GET http://aws-alb-1.eu-central-1.elb.amazonaws.com:80${path}?session=42 HTTP/1.1" "autocannon" - - arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/aws-tg/0123456789abcdef ` +
        `"Root=1-6745a1b2-0123456789abcdef01234567" "-" "-" 0 ${iso} "forward" "-" "-" "${target}" "${status}" "-" "-" TID_0123`;
}

/**
 * Five minutes of traffic, 4 requests/s per target (the judged four minutes hold about 960 canary
 * requests: enough for the tail check to show a healthy canary within its 1-point margin); the
 * canary fails `canaryErrors` of its requests.
 */
function traffic(start: number, canaryErrors: number): string[] {
    const lines: string[] = [];
    let n = 0;
    let served = 0;
    for (let ms = 0; ms < 300_000; ms += 250) {
        for (const target of [canary, ...baseline]) {
            n++;
            const fails = target === canary && ++served % Math.round(1 / canaryErrors) === 0;
            lines.push(line(start + ms, target, fails ? 500 : 200, 0.004 + (n % 7) / 1000, fails ? "/orders" : "/products"));
        }
    }
    return lines;
}

describe("canary evidence from ALB access logs in S3 (moto)", function () {
    this.timeout(60_000);
    let moto: Moto;
    let s3: S3Client;
    const start = Date.parse("2026-11-26T17:00:00Z");

    before(async () => {
        moto = await startMoto();
        s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
        for (const bucket of ["healthy", "faulty"]) {
            await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
            const lines = traffic(start, bucket === "faulty" ? 0.03 : 0.0001);
            // The ALB writes one gzip file per node and five minutes; split the lines over two.
            for (const [i, part] of [lines.slice(0, lines.length / 2), lines.slice(lines.length / 2)].entries()) {
                const key = `${prefix}2026/11/26/123456789012_elasticloadbalancing_eu-central-1_app.aws-alb.fedcba9876543210_20261126T1705Z_10.0.0.${i + 1}_abc${i}.log.gz`;
                await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(part.join("\n") + "\n") }));
            }
        }
    });
    after(() => moto?.stop());

    it("splits a line into the ALB's fields, quoted ones whole", () => {
        const f = albFields(line(start, canary, 502, -1));
        assert.equal(f[4], canary);
        assert.equal(f[12], "GET http://aws-alb-1.eu-central-1.elb.amazonaws.com:80/products?session=42 HTTP/1.1");
        assert.equal(f.length, 30);
        assert.deepEqual(parseAlbLog(line(start, canary, 502, -1)), [{ t: start + 0, server: canary, status: 502, latencyMs: 0, error: "502 GET http:///products" }]);
    });

    const cases: [string, string, string][] = [
        ["a canary with errors the baseline does not have fails", "faulty", "fail"],
        ["a healthy canary passes", "healthy", "pass"],
    ];
    for (const [name, bucket, verdict] of cases) {
        it(name, async () => {
            const requests = await readAlbLogs(s3, { bucket, prefix }, start + 60_000, start + 300_000);
            const of = (targets: string[]) => requests.filter((r) => targets.includes(r.server));
            assert.ok(of([canary]).length > 600 && of(baseline).length > 1200, `read ${requests.length} requests`);
            const j = judge(of(baseline), of([canary]));
            assert.equal(j.verdict, verdict, JSON.stringify(j.checks));
            if (verdict === "fail") {
                assert.ok(j.checks.some((c) => c.name === "new-error: 500 GET http:///orders" && c.verdict === "fail"), JSON.stringify(j.checks));
            }
        });
    }

    it("the judgement resource's bake reads them by server name (the provider's path, end to end)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-alb-"));
        await s3.send(new CreateBucketCommand({ Bucket: "live", CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
        let baked = false;
        // The window is [the bake's start, its start + 3 s]: the start is after `before` and before
        // the bake's first wait, so requests stamped from that wait on and before before + 3 s are
        // inside it however late the timers run on a busy machine (stamped from the wait's end, a
        // late timer pushed the last ones past the window: 178/89).
        const before = Date.now();
        // The bake's first wait: once it is over, the ALB "delivers" the requests of the bake.
        const sleep = async (ms: number) => {
            const waitStart = Date.now();
            await new Promise((r) => setTimeout(r, ms));
            if (!baked) {
                baked = true;
                const end = before + 3000;
                assert.ok(end - waitStart > 500, `the bake's first wait started ${waitStart - before} ms after the judgement was called`);
                const lines: string[] = [];
                for (let k = 0; k < 90; k++) {
                    const t = Math.floor(waitStart + ((end - 1 - waitStart) * k) / 90);
                    lines.push(line(t, canary, k % 9 === 0 ? 500 : 200, 0.004, k % 9 === 0 ? "/orders" : "/products"), line(t, baseline[0], 200, 0.004), line(t, baseline[1], 200, 0.004));
                }
                lines.push(line(waitStart + 10, "10.0.1.99:8080", 500, 0.004));
                await s3.send(new PutObjectCommand({ Bucket: "live", Key: `${prefix}${new Date(waitStart).toISOString().slice(0, 10).replace(/-/g, "/")}/live.log.gz`, Body: gzipSync(lines.join("\n")) }));
            }
        };
        const j = await bakeAndJudge({
            albLogs: { bucket: "live", prefix, region: "eu-central-1", endpoint: moto.endpoint, deliverySeconds: 0, targets: { "web-1": canary, "web-2": baseline[0], "web-3": baseline[1] } },
            canary: "web-1", version: "faulty", deployment: "d-1", baseline: ["web-2", "web-3"], bakeSeconds: 3, accepted: false,
            reportFile: path.join(dir, "web-1-faulty.json"),
        }, sleep);
        assert.deepEqual(j.counts, { baseline: 180, canary: 90 }, "the unknown target 10.0.1.99 is left out");
        assert.equal(j.verdict, "fail", JSON.stringify(j.checks));
        assert.ok(fs.existsSync(path.join(dir, "web-1-faulty.html")), "the report is written");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reads only the window asked for", async () => {
        const requests = await readAlbLogs(s3, { bucket: "healthy", prefix }, start + 100_000, start + 110_000);
        assert.ok(requests.length > 0 && requests.every((r) => r.t >= start + 100_000 && r.t <= start + 110_000));
    });
});
