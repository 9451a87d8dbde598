// The hosts target's metric checks: the team's Prometheus by URL (prometheusUrl), each server's
// {instance} its host's node_exporter, the defaults from node_exporter, and the judgement told
// why the checks are off without a URL. Table-driven, worked examples a reader can check by hand.
import { strict as assert } from "node:assert";
import type { ConfigError, RawConfig } from "../../../../src/release/config";
import { parseMetricsConfig, renderQuery } from "../../../../src/monitors/config";
import { checkQueries } from "../../../../src/monitors/promql-check";
import { parseStackConfig } from "../../../../src/release/stack-config";
import { hostsTarget } from "../../../../targets/hosts/config";
import { targetDefinition } from "../../../../targets/registry";
import { contractRegistrations } from "../../../support/target-contract-program";
import { hostsProblems, hostsRaw, parseHosts } from "../../../support/hosts-config";
import { HostsEnvironment } from "../../../../targets/hosts/environment";
import { hostsMetricChecks, nodeInstance, noPrometheusUrl } from "../../../../targets/hosts/metrics";

const base: RawConfig = hostsRaw({ "web-1": "198.18.0.11", "web-2": "198.18.0.12", "web-3": "db-host.example.org:2222" });
const parse = parseHosts;
const problems = hostsProblems;

describe("the hosts target's Prometheus (prometheusUrl, nodeExporterPort)", () => {
    const accepted: { name: string; raw: RawConfig; prometheus: unknown }[] = [
        { name: "none: the metric checks are off", raw: {}, prometheus: undefined },
        { name: "an http URL, node_exporter on its default port", raw: { prometheusUrl: "http://198.18.0.9:9090" }, prometheus: { url: "http://198.18.0.9:9090", nodeExporterPort: 9100 } },
        { name: "an https URL under a path, its trailing slash dropped", raw: { prometheusUrl: "https://prometheus.example.org/prom/" }, prometheus: { url: "https://prometheus.example.org/prom", nodeExporterPort: 9100 } },
        { name: "node_exporter on another port", raw: { prometheusUrl: "http://198.18.0.9:9090", nodeExporterPort: "9200" }, prometheus: { url: "http://198.18.0.9:9090", nodeExporterPort: 9200 } },
    ];
    for (const c of accepted) {
        it(`accepts ${c.name}`, () => assert.deepEqual(parse({ ...base, ...c.raw }).prometheus, c.prometheus));
    }

    const refused: { name: string; raw: RawConfig; problem: string | RegExp }[] = [
        { name: "a URL that is no URL", raw: { prometheusUrl: "198.18.0.9:9090" }, problem: /^zdr:prometheusUrl: must be (an http or https URL|the base URL)/ },
        { name: "another scheme", raw: { prometheusUrl: "ftp://198.18.0.9/" }, problem: /^zdr:prometheusUrl: must be an http or https URL \(the base URL of the team's Prometheus .*\); got "ftp:\/\/198\.18\.0\.9\/"$/ },
        { name: "a password in the URL", raw: { prometheusUrl: "https://zdr:hunter2@prometheus.example.org" }, problem: /^zdr:prometheusUrl: must not hold a user or password \(the stack file keeps it in plain text\)/ },
        { name: "a query in the URL", raw: { prometheusUrl: "http://198.18.0.9:9090/api/v1/query?query=up" }, problem: 'zdr:prometheusUrl: must be a base URL with no query or fragment (zdr adds /api/v1/query_range); got "http://198.18.0.9:9090/api/v1/query?query=up"' },
        { name: "a node_exporter port out of range", raw: { prometheusUrl: "http://198.18.0.9:9090", nodeExporterPort: "70000" }, problem: 'zdr:nodeExporterPort: must be an integer from 1 to 65535; got "70000"' },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}, naming the key`, () => {
            const found = problems({ ...base, ...c.raw });
            assert.ok(found.some((p) => (typeof c.problem === "string" ? p === c.problem : c.problem.test(p))), found.join("\n"));
            // the password is never repeated back
            assert.ok(!found.some((p) => p.includes("hunter2")), found.join("\n"));
        });
    }
});

describe("the hosts target's metric checks", () => {
    it("are on with prometheusUrl, off without it and the judgement is told why", () => {
        const on = parseStackConfig({ ...base, prometheusUrl: "http://198.18.0.9:9090" }, { resolvePath: (p) => p, keysSet: [] });
        const off = parseStackConfig(base, { resolvePath: (p) => p, keysSet: [] });
        const hosts = targetDefinition("hosts");
        assert.deepEqual(hosts?.metricChecks(on.target, on.metrics), { checks: on.metrics.checks, store: "prometheus" });
        assert.deepEqual(hosts?.metricChecks(off.target, off.metrics), { off: noPrometheusUrl });
        assert.match(noPrometheusUrl, /zdr:prometheusUrl is not set/);
    });

    it("off: the Release gives each canary's judgement no metric check and why (its whole program under mocks)", function () {
        this.timeout(300_000);
        const judgement = contractRegistrations("hosts", ["prometheusUrl"]).find((r) => r.type === "zdr:canary:Judgement");
        assert.ok(judgement, "a judgement");
        assert.equal(judgement.inputs.metricsOff, noPrometheusUrl);
        assert.deepEqual(judgement.inputs.metricChecks ?? [], []);
        assert.equal(judgement.inputs.prometheus, undefined);
    });

    it("default to the host's CPU and memory from node_exporter, besides the team's checks", () => {
        const orders = { name: "orders", query: 'sum(rate(shop_orders_total{instance="{instance}"}[10s]))', better: "higher", tolerance: 0.3 };
        const cases: { raw: RawConfig; names: string[] }[] = [
            { raw: {}, names: ["host-cpu", "host-memory"] },
            { raw: { canaryMetrics: JSON.stringify([orders]) }, names: ["host-cpu", "host-memory", "orders"] },
            { raw: { canaryMetrics: JSON.stringify([orders]), canaryDefaultMetrics: "false" }, names: ["orders"] },
        ];
        for (const c of cases) {
            assert.deepEqual(parseStackConfig({ ...base, prometheusUrl: "http://198.18.0.9:9090", ...c.raw }, { resolvePath: (p) => p, keysSet: [] }).metrics.checks.map((x) => x.name), c.names);
        }
        assert.throws(() => parseMetricsConfig({ canaryMetrics: JSON.stringify([{ ...orders, name: "host-cpu" }]) }, hostsTarget.metricDefaults), (e: ConfigError) =>
            e.problems.includes("zdr:canaryMetrics[0].name: host-cpu is declared twice (the defaults are host-cpu, host-memory)") || assert.fail(e.problems.join("\n")));
    });

    const rendered: { name: string; server: string; instance: string; query: string }[] = [
        {
            name: "host-cpu",
            server: "web-1",
            instance: nodeInstance("198.18.0.11", 9100),
            query: '(sum(node_cpu_seconds_total{instance="198.18.0.11:9100",mode!~"idle|iowait|steal"}) - sum(node_cpu_seconds_total{instance="198.18.0.11:9100",mode!~"idle|iowait|steal"} @ 1700000010)) / (time() - 1700000010)',
        },
        {
            name: "host-memory",
            server: "web-3",
            instance: nodeInstance("db-host.example.org", 9200),
            query: 'sum(node_memory_MemTotal_bytes{instance="db-host.example.org:9200"}) - sum(node_memory_MemAvailable_bytes{instance="db-host.example.org:9200"})',
        },
    ];
    for (const r of rendered) {
        it(`fills ${r.name}'s query in for ${r.server} on ${r.instance}`, () => {
            const check = hostsMetricChecks.find((c) => c.name === r.name);
            assert.ok(check);
            assert.equal(renderQuery(check.query, r.server, r.instance, 1700000010), r.query);
        });
    }

    it("the defaults parse with Prometheus' own parser (promtool)", () => {
        checkQueries(hostsMetricChecks);
    });

    it("gives the judgement the team's Prometheus and each judged server's node_exporter", () => {
        const config = parse({ ...base, bakeSeconds: "60", haproxyLogFile: "/var/log/haproxy.log", prometheusUrl: "http://198.18.0.9:9090", nodeExporterPort: "9200" });
        const env = new HostsEnvironment({ config, app: { name: "shop" } as never, sshPrivateKey: "key" });
        assert.deepEqual(env.canaryEvidence("web-1", ["web-2", "web-3"]).prometheus, {
            url: "http://198.18.0.9:9090",
            instances: { "web-1": "198.18.0.11:9200", "web-2": "198.18.0.12:9200", "web-3": "db-host.example.org:9200" },
        });
        const without = new HostsEnvironment({ config: parse({ ...base, bakeSeconds: "60", haproxyLogFile: "/var/log/haproxy.log" }), app: { name: "shop" } as never, sshPrivateKey: "key" });
        assert.equal(without.canaryEvidence("web-1", ["web-2"]).prometheus, undefined);
    });
});
