// Each target's canary evidence (targets/evidence.ts): from the judgement's description of a canary,
// as each target's environment fills it in, the sources the bake and `zdr watch` read.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { JudgementInputs } from "../../../provider/canary/judgement";
import { canarySources, judgedOn } from "../../../targets/evidence";
import { PrometheusSource } from "../../../src/monitors/source";
import { CloudWatchMetricsSource } from "../../../targets/aws/evidence/cloudwatch-metrics";

const base = { canary: "web-1", version: "v2", deployment: "d1", baseline: ["web-2", "web-3"], bakeSeconds: 60, accepted: false, reportFile: "/unused/web-1-v2.json" };
const ssh = (host: string) => ({ host, user: "root", privateKey: "not a key", knownHosts: [] });
const prometheus = { url: "http://127.0.0.1:9090", instances: { "web-1": "10.0.0.11:9100", "web-2": "10.0.0.12:9100", "web-3": "10.0.0.13:9100" } };

describe("a bake's evidence sources, asked of its target (targets/evidence.ts)", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-evidence-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cases: { name: string; inputs: JudgementInputs; target: string; check(s: ReturnType<typeof canarySources>, copies: string): void }[] = [
        {
            name: "local default: its own HAProxy log and server logs as they are, its Prometheus with a fresh baseline's instance beside the servers'",
            inputs: { ...base, requestLog: "/stack/haproxy.log", appLogs: { "web-1": "/stack/logs/web-1.log" }, prometheus: { url: "http://127.0.0.1:19090", instances: { "web-1": "127.0.0.1:18081" } } },
            target: "local",
            check(s) {
                assert.equal(s.requests.kind, "live");
                assert.ok(s.requests.kind === "live");
                assert.equal(s.requests.requestLog, "/stack/haproxy.log");
                assert.deepEqual(s.requests.appLogs, { "web-1": "/stack/logs/web-1.log" });
                const m = s.metrics?.({ "web-1-fresh": "127.0.0.1:18090" });
                assert.ok(m instanceof PrometheusSource);
                assert.equal(m.label, "Prometheus at http://127.0.0.1:19090");
                assert.deepEqual(s.metricsRecord, { prometheus: "http://127.0.0.1:19090" });
            },
        },
        {
            name: "local default without a Prometheus: no metric source",
            inputs: { ...base, requestLog: "/stack/haproxy.log" },
            target: "local",
            check(s) {
                assert.equal(s.metrics, undefined);
                assert.equal(s.metricsRecord, undefined);
                assert.ok(s.requests.kind === "live" && s.requests.appLogs === undefined);
            },
        },
        {
            name: "hosts: copies of HAProxy's log and the judged servers' logs over SSH, beside the path given; the team's Prometheus",
            inputs: {
                ...base,
                remoteRequestLog: { ssh: ssh("10.0.0.2"), file: "/var/log/haproxy.log" },
                hostAppLogs: { "web-1": { ssh: ssh("10.0.0.11"), file: "/var/log/web.log" }, "web-2": { ssh: ssh("10.0.0.12"), unit: "web" }, "web-3": { ssh: ssh("10.0.0.13"), file: "/var/log/web.log" }, "web-4": { ssh: ssh("10.0.0.14"), file: "/var/log/web.log" } },
                prometheus,
            },
            target: "hosts",
            check(s, copies) {
                assert.ok(s.requests.kind === "live");
                assert.equal(s.requests.requestLog, `${copies}.haproxy.log`);
                // the canary's and the baseline's only, not web-4's
                assert.deepEqual(s.requests.appLogs, { "web-1": `${copies}.web-1.app.log`, "web-2": `${copies}.web-2.app.log`, "web-3": `${copies}.web-3.app.log` });
                assert.ok(fs.existsSync(`${copies}.haproxy.log`), "the copy starts empty");
                assert.ok(s.metrics?.() instanceof PrometheusSource);
                assert.deepEqual(s.metricsRecord, { prometheus: prometheus.url });
            },
        },
        {
            name: "hosts without the app's log or zdr:prometheusUrl: HAProxy's log only",
            inputs: { ...base, remoteRequestLog: { ssh: ssh("10.0.0.2"), file: "/var/log/haproxy.log" }, metricsOff: "metric checks off" },
            target: "hosts",
            check(s) {
                assert.ok(s.requests.kind === "live" && s.requests.appLogs === undefined);
                assert.equal(s.metrics, undefined);
            },
        },
        {
            name: "AWS: the ALB's logs after their delivery (330 s unless given), CloudWatch's metrics",
            inputs: {
                ...base,
                albLogs: { bucket: "logs", prefix: "alb", region: "eu-west-1", targets: { "web-1": "10.0.1.11:8080" } },
                cloudWatchMetrics: { region: "eu-west-1", instances: { "web-1": "i-1", "web-2": "i-2", "web-3": "i-3" } },
            },
            target: "aws",
            check(s) {
                assert.ok(s.requests.kind === "delivered");
                assert.equal(s.requests.deliverySeconds, 330);
                assert.match(s.requests.note, /the ALB's access logs arrive every 5 min, judged 330 s after the bake/);
                const m = s.metrics?.();
                assert.ok(m instanceof CloudWatchMetricsSource);
                assert.equal(m.label, "CloudWatch in eu-west-1");
                assert.deepEqual(s.metricsRecord, { cloudWatch: { region: "eu-west-1", instances: { "web-1": "i-1", "web-2": "i-2", "web-3": "i-3" } } });
            },
        },
        {
            name: "AWS with its own delivery wait and no metric store",
            inputs: { ...base, albLogs: { bucket: "logs", prefix: "alb", region: "eu-west-1", targets: {}, deliverySeconds: 5 } },
            target: "aws",
            check(s) {
                assert.ok(s.requests.kind === "delivered" && s.requests.deliverySeconds === 5);
                assert.equal(s.metrics, undefined);
            },
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            assert.equal(judgedOn(c.inputs), c.target);
            const copies = path.join(dir, "web-1-v2");
            c.check(canarySources(c.inputs, copies), copies);
        });
    }

    it("refuses a description with neither HAProxy's log nor the ALB's, as the bake did", () => {
        assert.throws(() => canarySources(base, path.join(dir, "x")), /judgement of web-1: neither requestLog nor albLogs is set/);
    });
});
