// The AWS target's metric checks as the team declares them (awsCanaryMetrics) and as zdr adds them
// (EC2's CPUUtilization per instance): parsed before anything changes, every problem naming the key.
import { strict as assert } from "node:assert";
import { awsDefaultMetricChecks, awsMetricEntryOf, parseAwsConfig, parseAwsMetricChecks, stepsToPass } from "../../../../targets/aws/config";
import { ConfigError, parseReleaseConfig, RawConfig } from "../../../../src/release/config";
import { defaultMetricChecks } from "../../../../src/monitors/config";

const orders = { name: "orders", namespace: "Webshop", metricName: "OrdersWritten", statistic: "Sum", dimensions: { InstanceId: "{instanceId}" }, periodSeconds: 10, lagSeconds: 30, better: "higher", tolerance: 0.3 };
const raw = (checks: unknown[], more: RawConfig = {}): RawConfig => ({ awsCanaryMetrics: JSON.stringify(checks), ...more });

describe("the AWS target's metric checks (awsCanaryMetrics, CloudWatch)", () => {
    it("adds EC2's CPUUtilization per instance by default, 60 s periods", () => {
        const checks = parseAwsMetricChecks({}, 600, []);
        assert.deepEqual(checks, awsDefaultMetricChecks);
        assert.deepEqual(checks[0].cloudWatch, { namespace: "AWS/EC2", metricName: "CPUUtilization", statistic: "Average", dimensions: { InstanceId: "{instanceId}" } });
        assert.equal(checks[0].stepSeconds, 60);
    });

    it("parses a team's check beside the default: its metric, its period as the step, its lag", () => {
        const problems: string[] = [];
        const checks = parseAwsMetricChecks(raw([{ ...orders, warmupSeconds: "20" }]), 600, problems);
        assert.deepEqual(problems, []);
        assert.deepEqual(checks.map((c) => c.name), ["cpu", "orders"]);
        assert.deepEqual(checks[1], {
            name: "orders", query: "Webshop OrdersWritten Sum InstanceId={instanceId} 10s", better: "higher", tolerance: 0.3, warmupSeconds: 20, stepSeconds: 10, lagSeconds: 30,
            cloudWatch: { namespace: "Webshop", metricName: "OrdersWritten", statistic: "Sum", dimensions: { InstanceId: "{instanceId}" } },
        });
    });

    it("gives a check back as its entry (a Release's typed settings as keys)", () => {
        const checks = parseAwsMetricChecks(raw([orders]), 600, []);
        const again = parseAwsMetricChecks({ awsCanaryMetrics: JSON.stringify(checks.map(awsMetricEntryOf)), canaryDefaultMetrics: "false" }, 600, []);
        assert.deepEqual(again, checks);
    });

    it("needs 8 periods for one check to pass, 9 for two (the pass level split over the checks)", () => {
        assert.deepEqual([stepsToPass(1), stepsToPass(2), stepsToPass(3)], [8, 9, 10]);
    });

    const at = "zdr:awsCanaryMetrics[0]";
    const refused: { name: string; raw: RawConfig; bake?: number; problem: string }[] = [
        { name: "a list that is no list", raw: { awsCanaryMetrics: '{"name":"x"}' }, problem: 'zdr:awsCanaryMetrics: must be a list of {name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance}; got {"name":"x"}' },
        { name: "an entry that is no object", raw: raw(["cpu"]), problem: `${at}: must be {name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance}; got "cpu"` },
        { name: "an unknown field", raw: raw([{ ...orders, query: "up" }]), problem: `${at}: unknown field query (allowed: name, namespace, metricName, statistic, dimensions, periodSeconds, lagSeconds, better, tolerance, warmupSeconds)` },
        { name: "a PromQL-style statistic", raw: raw([{ ...orders, statistic: "avg" }]), problem: `${at}.statistic: must be Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99; got "avg"` },
        { name: "no metric name", raw: raw([{ ...orders, metricName: "" }]), problem: `${at}.metricName: must be a CloudWatch metric name of 1-255 characters; got ""` },
        { name: "a namespace with a colon", raw: raw([{ ...orders, namespace: "Web:shop" }]), problem: `${at}.namespace: must be a CloudWatch namespace of 1-255 characters, e.g. AWS/EC2, CWAgent or the app's own; got "Web:shop"` },
        { name: "dimensions that do not name the server", raw: raw([{ ...orders, dimensions: { AutoScalingGroupName: "web" } }]), problem: `${at}.dimensions: must name the server, a value with {instanceId} or {server} (the canary is compared with each baseline server); got {"AutoScalingGroupName":"web"}` },
        { name: "an unknown placeholder", raw: raw([{ ...orders, dimensions: { InstanceId: "{instanceId}", Stage: "{stage}" } }]), problem: `${at}.dimensions.Stage: only {instanceId} and {server} are filled in; got "{stage}"` },
        { name: "a list of dimensions", raw: raw([{ ...orders, dimensions: [{ Name: "InstanceId", Value: "{instanceId}" }] }]), problem: `${at}.dimensions: must be an object of at most 30 dimensions, name -> value (a value may hold {instanceId} and {server}), e.g. {"InstanceId": "{instanceId}"}; got [{"Name":"InstanceId","Value":"{instanceId}"}]` },
        { name: "a period GetMetricData does not take", raw: raw([{ ...orders, periodSeconds: 45 }]), problem: `${at}.periodSeconds: must be 1, 5, 10, 20 or 30 (high-resolution metrics) or a multiple of 60 up to 86400; got 45` },
        { name: "a negative lag", raw: raw([{ ...orders, lagSeconds: -1 }]), problem: `${at}.lagSeconds: must be an integer from 0 to 3600 (how long a period's value takes to land in CloudWatch); got -1` },
        { name: "a tolerance of 1 for higher-is-better", raw: raw([{ ...orders, tolerance: 1 }]), problem: `${at}.tolerance: must be a number above 0 and below 1 (the canary may fall to (1 - tolerance) x the baseline); got 1` },
        { name: "the default's name again", raw: raw([{ ...orders, name: "cpu" }]), problem: `${at}.name: cpu is declared twice (the AWS defaults are cpu; canaryDefaultMetrics: false leaves them out)` },
        { name: "a team's PromQL check on AWS", raw: { canaryMetrics: JSON.stringify([{ name: "q", query: "up", better: "lower", tolerance: 1 }]) }, problem: "zdr:canaryMetrics: PromQL checks are not read on the AWS target (no Prometheus); declare CloudWatch checks in awsCanaryMetrics ({name, namespace, metricName, statistic, dimensions, periodSeconds, better, tolerance})" },
        {
            name: "the default in a bake too short for it to pass", raw: {}, bake: 300,
            problem: "zdr:canaryDefaultMetrics: the default check cpu (AWS/EC2 CPUUtilization Average InstanceId={instanceId} 60s): 60 s periods give 5 steps in bakeSeconds 300; with 1 metric check a check needs 8 to pass: raise bakeSeconds to at least 480, or set canaryDefaultMetrics to false",
        },
        {
            name: "a team's check whose periods and warm-up leave too few steps", raw: raw([{ ...orders, periodSeconds: 60, warmupSeconds: 180 }], { canaryDefaultMetrics: "false" }), bake: 600,
            problem: `${at} (orders): 60 s periods give 7 steps in bakeSeconds 600 after its 180 s warm-up; with 1 metric check a check needs 8 to pass: raise bakeSeconds to at least 660, or use a shorter period (1-30 s for high-resolution metrics)`,
        },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}, naming the key`, () => {
            const problems: string[] = [];
            parseAwsMetricChecks(c.raw, c.bake ?? 600, problems);
            assert.deepEqual(problems, [c.problem]);
        });
    }

    it("takes back the PromQL defaults a Release's typed settings carry (they are not the team's checks)", () => {
        const problems: string[] = [];
        parseAwsMetricChecks({ canaryMetrics: JSON.stringify(defaultMetricChecks) }, 600, problems);
        assert.deepEqual(problems, []);
    });

    it("refuses before anything changes: parseAwsConfig throws with the problem", () => {
        const release = parseReleaseConfig({ servers: '["web-1","web-2"]', bakeSeconds: "300" });
        const config: RawConfig = {
            sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nunit\n-----END OPENSSH PRIVATE KEY-----", deployCommand: "d {version}", stopCommand: "s",
            awsRegion: "eu-central-1", vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: '["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"]', amiId: "ami-0a1b2c3d4e5f60719",
        };
        assert.throws(() => parseAwsConfig(config, release), (e: ConfigError) => e.problems.length === 1 && e.problems[0].startsWith("zdr:canaryDefaultMetrics: the default check cpu"));
        assert.deepEqual(parseAwsConfig({ ...config, canaryDefaultMetrics: "false" }, release).metricChecks, []);
    });
});
