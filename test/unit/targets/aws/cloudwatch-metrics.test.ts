// The AWS target's metric source: GetMetricData through the AWS SDK v3 client against a small
// CloudWatch on loopback (test/support/fake-cloudwatch.ts) that replays answers written to AWS's
// API reference (test/support/cloudwatch/cpu-utilization.json; not captured from an account: moto
// generates no EC2 metric). EC2's CPUUtilization has one value a minute, so a bake that can decide
// lasts over ten minutes: here the judge (src/monitors/metric-judge.ts, the same as on the local
// default) is driven by a clock of its own over the recorded window. CloudWatch's faults (throttled,
// a parameter refused, no answer) leave the check undecided with why, never passed.
import { strict as assert } from "node:assert";
import { CloudWatchMetricsSource } from "../../../../targets/aws/evidence/cloudwatch-metrics";
import { awsDefaultMetricChecks } from "../../../../targets/aws/config";
import { MetricJudge } from "../../../../src/monitors/metric-judge";
import { defaultAlpha, failWeights } from "../../../../src/canary/judge";
import { FakeCloudWatch, recordedAnswers, startFakeCloudWatch } from "../../../support/fake-cloudwatch";

/** The recording's first period starts here (2026-11-26T17:00:00Z, epoch s); it holds 20 periods of 60 s. */
const recordedStart = 1795712400;
const instances = { "web-1": "i-0aaaaaaaaaaaaaaa1", "web-2": "i-0bbbbbbbbbbbbbbb2", "web-3": "i-0ccccccccccccccc3", "web-4": "i-0ddddddddddddddd4" };
const cpu = awsDefaultMetricChecks[0];

describe("CloudWatch metrics for the canary's checks (GetMetricData, recorded answers)", function () {
    this.timeout(60_000);
    let fake: FakeCloudWatch;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

    beforeEach(async () => {
        fake = await startFakeCloudWatch(recordedAnswers("cpu-utilization.json"));
        process.env.AWS_ACCESS_KEY_ID = "test";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
    });
    afterEach(async () => {
        await fake.stop();
        for (const [k, v] of [["AWS_ACCESS_KEY_ID", saved.id], ["AWS_SECRET_ACCESS_KEY", saved.secret]] as const) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
    });

    const source = (timeoutMs = 2000) => new CloudWatchMetricsSource({ region: "eu-central-1", endpoint: fake.endpoint, instances, timeoutMs });

    it("reads one server's periods page by page, each value stamped at its period's end, the instance id filled in", async () => {
        const answer = recordedAnswers("cpu-utilization.json")["i-0bbbbbbbbbbbbbbb2"].MetricDataResults[0];
        // the periods that end at 17:01 ... 17:10: those that start at 17:00 ... 17:09
        const series = await source().read({ check: cpu, server: "web-2", start: recordedStart + 60, end: recordedStart + 600, stepSeconds: 60, since: recordedStart });
        assert.equal(series.length, 1);
        assert.deepEqual(series[0].values, answer.Values.slice(0, 10).map((v, i) => [recordedStart + 60 * (i + 1), v]));
        assert.ok(fake.requests.length >= 3, `a page holds 4 values: ${fake.requests.length} requests`);
        const q = fake.requests[0] as { MetricDataQueries: { MetricStat: { Metric: unknown; Period: number; Stat: string } }[]; StartTime: number; EndTime: number };
        assert.deepEqual(q.MetricDataQueries[0].MetricStat, { Metric: { Namespace: "AWS/EC2", MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: "i-0bbbbbbbbbbbbbbb2" }] }, Period: 60, Stat: "Average" });
        assert.deepEqual([q.StartTime, q.EndTime], [recordedStart, recordedStart + 600]);
    });

    it("gives no series for a server CloudWatch has no value of", async () => {
        const series = await source().read({ check: cpu, server: "web-1", start: recordedStart + 3600, end: recordedStart + 3900, stepSeconds: 60, since: recordedStart });
        assert.deepEqual(series, []);
    });

    /** The judge over the recording, polled each minute as the bake would, on its own clock. */
    async function bake(canary: string, minutes: number): Promise<MetricJudge> {
        const from = (recordedStart + 1) * 1000;
        const judge = new MetricJudge({ source: source(), checks: [cpu], canary, baseline: ["web-2", "web-3"], from, alpha: defaultAlpha * failWeights.metrics });
        const lag = (cpu.lagSeconds ?? 0) * 1000;
        for (let m = 1; m <= minutes && judge.decision === undefined; m++) {
            await judge.poll(from + m * 60_000 + lag);
        }
        judge.end(from + minutes * 60_000);
        await judge.poll(from + minutes * 60_000 + lag);
        return judge;
    }

    it("fails a canary at twice its baseline's CPU within a 16-minute bake, with the comparison", async () => {
        const judge = await bake("web-1", 16);
        const [check] = judge.checks();
        assert.equal(check.verdict, "fail", check.detail);
        assert.match(check.detail, /canary 4\d\.?\d* vs baseline 2\d\.?\d* \(medians of the last \d+0 s\); beyond the tolerance \(at most 1\.5x the baseline, lower is better\) in 1[4-6] of 1[4-6] steps; failed at 2026-11-26T17:1[4-6]:00\.000Z/);
        const [evidence] = judge.evidence();
        assert.equal(evidence.source, "CloudWatch");
        assert.equal(evidence.stepSeconds, 60);
    });

    it("passes a canary at its baseline's CPU once the pass side holds, with its data to the bake's end", async () => {
        const judge = await bake("web-4", 19);
        const [check] = judge.checks();
        assert.equal(check.verdict, "pass", check.detail);
        assert.ok(judge.allPassed());
    });

    // a throttled call is tried again once by the SDK after its back-off (up to a second): the
    // time-out is longer than that but for the read that gets no answer
    const faults: { mode: FakeCloudWatch["mode"]; timeoutMs: number; detail: RegExp }[] = [
        { mode: "throttle", timeoutMs: 5000, detail: /undecided: no read succeeded \(1 failed; last: CloudWatch in eu-central-1 at http:\/\/127\.0\.0\.1:\d+: Throttling: Rate exceeded \(HTTP 400\)\)/ },
        { mode: "refuse", timeoutMs: 5000, detail: /undecided: CloudWatch refused the query: InvalidParameterValueException: The parameter Period must be a multiple of 60\. \(HTTP 400\)/ },
        { mode: "hang", timeoutMs: 300, detail: /undecided: no read succeeded \(1 failed; last: CloudWatch in eu-central-1 at http:\/\/127\.0\.0\.1:\d+: no answer within 300 ms\)/ },
    ];
    for (const f of faults) {
        it(`leaves the check undecided, never passed, when CloudWatch ${f.mode === "throttle" ? "throttles" : f.mode === "refuse" ? "refuses the request" : "does not answer"}`, async () => {
            fake.mode = f.mode;
            const from = (recordedStart + 1) * 1000;
            const judge = new MetricJudge({ source: source(f.timeoutMs), checks: [cpu], canary: "web-4", baseline: ["web-2", "web-3"], from, alpha: defaultAlpha * failWeights.metrics });
            await judge.poll(from + 10 * 60_000);
            const [check] = judge.checks();
            assert.equal(check.verdict, "undecided");
            assert.match(check.detail, f.detail);
            assert.equal(judge.allPassed(), false);
            if (f.mode === "throttle") {
                // the first refused read ends the poll; the others may still be in flight: at most two tries each
                assert.ok(fake.requests.length >= 1 && fake.requests.length <= 2 * 3, `${fake.requests.length} requests`);
            }
        });
    }

    it("says a throttled read in the bake's last minutes and leaves the check undecided though its earlier steps passed", async () => {
        const from = (recordedStart + 1) * 1000;
        const judge = new MetricJudge({ source: source(), checks: [cpu], canary: "web-4", baseline: ["web-2", "web-3"], from, alpha: defaultAlpha * failWeights.metrics });
        const lag = (cpu.lagSeconds ?? 0) * 1000;
        await judge.poll(from + 15 * 60_000 + lag);
        fake.mode = "throttle";
        judge.end(from + 19 * 60_000);
        await judge.poll(from + 19 * 60_000 + lag);
        const [check] = judge.checks();
        assert.equal(check.verdict, "undecided", check.detail);
        assert.match(check.detail, /undecided: CloudWatch not read after 2026-11-26T17:15:00\.000Z: the bake's last 241 s unread; reads failing since \S+ \(1\): CloudWatch in eu-central-1 at \S+: Throttling: Rate exceeded/);
    });
});
