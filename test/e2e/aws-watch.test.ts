// `zdr watch` on an AWS stack (issue 25): the bake the stack's state shows, its metric checks read
// live from CloudWatch (moto's, on loopback, fed per instance with PutMetricData) and the ALB's
// request logs said to arrive after the bake. No AWS provider plugin runs on these machines, so no
// real `up` creates the AWS stack here: the stack's state (a real stack of the project, read by the
// real engine: `pulumi stack export --show-secrets`) is given a judgement in progress as the engine
// records one when its step starts (a pending "creating" operation with the Judgement's inputs, as
// targets/aws/environment.ts fills them in), written into the stack's checkpoint file. The CLI runs
// as a user runs it (bin/zdr, its own process).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { judgementType } from "../../contract/tokens";
import { parseAwsMetricChecks } from "../../targets/aws/config";
import { Moto, startMoto } from "../support/moto";
import { runZdrWatch } from "../support/zdr-watch";

const instances = { "web-1": "i-0aaaaaaaaaaaaaaa1", "web-2": "i-0bbbbbbbbbbbbbbb2", "web-3": "i-0ccccccccccccccc3" };
const bakeSeconds = 60;

describe("zdr watch on an AWS stack: CloudWatch's checks live, the ALB's logs after delivery", function () {
    this.timeout(300_000);
    let moto: Moto;
    let cw: CloudWatchClient;
    let stack: Stack;
    let stateDir: string;

    before(async () => {
        moto = await startMoto();
        cw = new CloudWatchClient(moto.clientConfig);
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(projectRoot, `e2e-aws-watch-${process.pid}`, stateDir);
    });
    after(async () => {
        await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
        await moto?.stop();
        if (stateDir) {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    /** `zdr watch` on this stack as a user runs it (test/support/zdr-watch.ts). */
    const zdrWatch = (args: readonly string[], timeoutMs?: number) => runZdrWatch(stack.name, stateDir, args, timeoutMs);

    /**
     * The stack's state with web-1's judgement in progress (or none), its inputs as the AWS
     * environment gives them: written into the stack's checkpoint in its file backend as the engine
     * writes it when the judgement's step starts (`pulumi stack import` drops pending operations).
     */
    async function baking(metricName: string | undefined, withChecks = true): Promise<void> {
        const checks = parseAwsMetricChecks(
            { awsCanaryMetrics: JSON.stringify([{ name: "cpu-ms", namespace: "Webshop", metricName: metricName ?? "none", statistic: "Average", dimensions: { InstanceId: "{instanceId}" }, periodSeconds: 1, lagSeconds: 1, better: "lower", tolerance: 0.5 }]), canaryDefaultMetrics: "false" },
            bakeSeconds,
            [],
        );
        const inputs = {
            albLogs: { bucket: "logs", prefix: "alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/", region: "eu-central-1", endpoint: moto.endpoint, targets: { "web-1": "10.0.1.10:8080", "web-2": "10.0.1.11:8080", "web-3": "10.0.1.12:8080" } },
            cloudWatchMetrics: { region: "eu-central-1", endpoint: moto.endpoint, instances },
            ...(withChecks ? { metricChecks: checks } : {}),
            canary: "web-1", version: "v2", deployment: "d-1", baseline: ["web-2", "web-3"], bakeSeconds, accepted: false,
            reportFile: path.join(stateDir, "judgements/web-1-v2.json"),
        };
        const urn = `urn:pulumi:${stack.name}::zdr::${judgementType}::judgement-web-1`;
        const file = path.join(stateDir, ".pulumi/stacks/zdr", `${stack.name}.json`);
        const checkpoint = JSON.parse(fs.readFileSync(file, "utf8"));
        checkpoint.checkpoint.latest.pending_operations = metricName ? [{ type: "creating", resource: { urn, custom: true, type: judgementType, inputs } }] : [];
        fs.writeFileSync(file, JSON.stringify(checkpoint));
    }

    /** The team's metric a value a second per instance from 5 s ago to the bake's end, the canary's `factor` times the baseline's. */
    async function metrics(metricName: string, factor: number): Promise<void> {
        const first = Math.floor(Date.now() / 1000) - 5;
        for (const [server, id] of Object.entries(instances)) {
            const data = Array.from({ length: bakeSeconds + 10 }, (_, k) => {
                const base = 12 + ((k * 7 + id.charCodeAt(4)) % 5) / 2;
                return { MetricName: metricName, Dimensions: [{ Name: "InstanceId", Value: id }], Timestamp: new Date((first + k) * 1000), Value: server === "web-1" ? base * factor : base, Unit: "Milliseconds" as const, StorageResolution: 1 };
            });
            await cw.send(new PutMetricDataCommand({ Namespace: "Webshop", MetricData: data }));
        }
    }

    it("with no canary baking: exit 2, saying so", async () => {
        await baking(undefined);
        const w = await zdrWatch(["--max-seconds", "5"]);
        assert.equal(w.code, 2, w.stdout + w.stderr);
        assert.match(w.stderr, new RegExp(`^zdr: no canary is baking in stack ${stack.name}: `));
    });

    it("fails a canary at twice its baseline's value on CloudWatch's check, each line with both sides and the ALB's delivery said", async () => {
        await metrics("CpuMsRegression", 2);
        await baking("CpuMsRegression");
        const bad = await zdrWatch(["--canary", "web-7"]);
        assert.equal(bad.code, 2, bad.stdout + bad.stderr);
        assert.match(bad.stderr, new RegExp(`^zdr: --canary: web-7 is not baking in stack ${stack.name}; baking: web-1\\n`));
        const w = await zdrWatch(["--every", "1", "--max-seconds", "40"]);
        console.log(`      zdr watch: exit ${w.code}; ${w.stdout.split("\n").filter((l) => l.startsWith("web-1 ")).pop()}`);
        assert.match(w.stdout, new RegExp(`^${stack.name}: watching web-1 \\(v2\\) against web-2, web-3\\n`), w.stdout + w.stderr);
        const lines = w.stdout.split("\n").filter((l) => l.startsWith("web-1 "));
        for (const l of lines) {
            assert.match(l, /^web-1 \d+ s\/40 s \| requests: the ALB's access logs arrive every 5 min, judged 330 s after the bake \| metrics cpu-ms (no data.*|[\d.]+ vs [\d.]+ -?[\d.]+) \(fail at 0\)$/);
        }
        assert.ok(lines.some((l) => /cpu-ms 2\d(\.\d+)? vs 1\d(\.\d+)? /.test(l)), lines.join("\n"));
        assert.equal(w.code, 1, w.stdout + w.stderr);
        assert.match(w.stdout, /\nverdict: fail before any canary request was judged/);
        assert.match(w.stdout, /^metric: cpu-ms +fail .*canary 2\d\.?\d* vs baseline 1\d\.?\d* /m);
    });

    it("a canary like its baseline: its check passes live, the requests stay undecided until the ALB delivers (exit 3)", async () => {
        await metrics("CpuMsHealthy", 1.05);
        await baking("CpuMsHealthy");
        const w = await zdrWatch(["--every", "1", "--max-seconds", "60"]);
        console.log(`      zdr watch: exit ${w.code}; ${w.stdout.split("\n").filter((l) => l.startsWith("web-1 ")).pop()}`);
        assert.equal(w.code, 3, w.stdout + w.stderr);
        assert.match(w.stdout, /^metric: cpu-ms +pass /m);
        assert.match(w.stdout, /\nverdict: undecided after/);
    });

    it("a bake without metric checks: nothing to judge live, said at once (exit 3), not an hour of empty lines", async () => {
        await baking("CpuMsHealthy", false);
        const started = Date.now();
        const w = await zdrWatch(["--every", "1"]);
        assert.equal(w.code, 3, w.stdout + w.stderr);
        assert.match(w.stdout, /\nrequests: the ALB's access logs arrive every 5 min, judged 330 s after the bake: nothing to judge live \(no metric checks\); the bake's judgement says the verdict\n$/);
        assert.doesNotMatch(w.stdout, /^web-1 \d+ s/m);
        // its default --max-seconds is an hour: it ended long before
        assert.ok(Date.now() - started < 60_000, `${Date.now() - started} ms`);
    });
});
