import { strict as assert } from "node:assert";
import { ConfigError } from "../../../src/release/config";
import { defaultMetricChecks, parseMetricsConfig, renderQuery } from "../../../src/monitors/config";
import { checkQueries } from "../../../src/monitors/promql-check";

describe("canaryMetrics: the team's metric checks", () => {
    const orders = { name: "orders", query: 'sum(rate(shop_orders_total{server="{server}"}[10s]))', better: "higher", tolerance: 0.3 };
    const cases: { name: string; raw: Record<string, string>; names?: string[]; message?: string }[] = [
        { name: "the defaults need nothing from the app", raw: {}, names: ["cpu-per-request", "memory"] },
        { name: "the team's checks come after the defaults", raw: { canaryMetrics: JSON.stringify([orders]) }, names: ["cpu-per-request", "memory", "orders"] },
        { name: "the defaults can be turned off", raw: { canaryDefaultMetrics: "false", canaryMetrics: JSON.stringify([orders]) }, names: ["orders"] },
        { name: "not a list", raw: { canaryMetrics: '{"name":"x"}' }, message: 'zdr:canaryMetrics: must be a list of {name, query, better, tolerance}; got {"name":"x"}' },
        { name: "which way is better is required", raw: { canaryMetrics: JSON.stringify([{ ...orders, better: "up" }]) }, message: 'zdr:canaryMetrics[0].better: must be "lower" or "higher" (which way the canary\'s value is better); got "up"' },
        {
            name: "a tolerance of 1 or more when higher is better would never fail",
            raw: { canaryMetrics: JSON.stringify([{ ...orders, tolerance: 1 }]) },
            message: "zdr:canaryMetrics[0].tolerance: must be a number above 0 and below 1 (the canary may fall to (1 - tolerance) x the baseline); got 1",
        },
        { name: "a placeholder zdr does not fill", raw: { canaryMetrics: JSON.stringify([{ ...orders, query: 'up{job="{job}"}' }]) }, message: 'zdr:canaryMetrics[0].query: only {server}, {instance} and {from} are filled in; got "{job}"' },
        { name: "a query over the bake so far", raw: { canaryMetrics: JSON.stringify([{ ...orders, query: 'sum(shop_orders_total{server="{server}"}) - sum(shop_orders_total{server="{server}"} @ {from})' }]) }, names: ["cpu-per-request", "memory", "orders"] },
        { name: "a name the defaults use", raw: { canaryMetrics: JSON.stringify([{ ...orders, name: "memory" }]) }, message: "zdr:canaryMetrics[0].name: memory is declared twice (the defaults are cpu-per-request, memory)" },
        { name: "an unknown field", raw: { canaryMetrics: JSON.stringify([{ ...orders, interval: "5s" }]) }, message: "zdr:canaryMetrics[0]: unknown field interval (allowed: name, query, better, tolerance, warmupSeconds)" },
        { name: "canaryDefaultMetrics not a boolean", raw: { canaryDefaultMetrics: "no" }, message: 'zdr:canaryDefaultMetrics: must be true or false; got "no"' },
    ];
    for (const c of cases) {
        it(c.name, () => {
            if (c.names) {
                assert.deepEqual(parseMetricsConfig(c.raw).checks.map((x) => x.name), c.names);
            } else {
                assert.throws(() => parseMetricsConfig(c.raw), (e: ConfigError) => e.problems.includes(c.message as string) || assert.fail(e.problems.join("\n")));
            }
        });
    }

    it("fills {server} and {instance} in per server, and {from} (epoch seconds)", () => {
        assert.equal(renderQuery('x{server="{server}",instance="{instance}"} / y{server="{server}"}', "web-2", "127.0.0.1:9102", 1700000000), 'x{server="web-2",instance="127.0.0.1:9102"} / y{server="web-2"}');
        assert.equal(renderQuery('sum(x{server="{server}"}) - sum(x{server="{server}"} @ {from})', "web-2", "", 1700000010), 'sum(x{server="web-2"}) - sum(x{server="web-2"} @ 1700000010)');
    });

    it("judges CPU per request over the bake so far: both counters' increases since 10 s into the bake, from 15 s", () => {
        const cpu = defaultMetricChecks.find((c) => c.name === "cpu-per-request");
        assert.deepEqual({ ...cpu, query: renderQuery(cpu?.query ?? "", "web-1", "", 1700000010) }, {
            name: "cpu-per-request",
            query: '(sum(zdr_server_cpu_seconds_total{server="web-1"}) - sum(zdr_server_cpu_seconds_total{server="web-1"} @ 1700000010)) / (sum(haproxy_server_http_responses_total{server="web-1"}) - sum(haproxy_server_http_responses_total{server="web-1"} @ 1700000010))',
            better: "lower",
            tolerance: 0.5,
            warmupSeconds: 10,
        });
    });
});

describe("metric queries checked by Prometheus' own parser (promtool) at preview", () => {
    it("accepts the default queries and a valid one of the team", () => {
        checkQueries([...defaultMetricChecks, { name: "orders", query: 'sum(rate(shop_orders_total{server="{server}"}[10s]))', better: "higher", tolerance: 0.3 }]);
    });

    it("refuses a query Prometheus cannot parse, naming the key, the check and Prometheus' error", () => {
        assert.throws(
            () => checkQueries([...defaultMetricChecks, { name: "orders", query: 'sum(rate(shop_orders_total{server="{server}"}[10s])', better: "higher", tolerance: 0.3 }]),
            (e: ConfigError) => {
                assert.equal(e.problems.length, 1, e.problems.join("\n"));
                assert.match(e.problems[0], /^zdr:canaryMetrics: the query of "orders" is not valid PromQL: could not parse expression: 1:\d+: parse error: unclosed left parenthesis \(query: /);
                return true;
            },
        );
    });
});
