import { strict as assert } from "node:assert";
import { ConfigError, parseReleaseConfig, type RawConfig } from "../../../../src/release/config";
import { localTarget, parseLocalConfig } from "../../../../targets/local/config";

describe("parseLocalConfig", () => {
    const cases: { name: string; raw: RawConfig; env?: string; want?: object; message?: string }[] = [
        { name: "defaults", raw: {}, want: { lbPort: 8080, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 } },
        { name: "lbPort 0 means ZDR_LB_PORT", raw: { lbPort: "0" }, env: "18080", want: { lbPort: 18080, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 } },
        { name: "an explicit lbPort wins over ZDR_LB_PORT", raw: { lbPort: "8081" }, env: "18080", want: { lbPort: 8081, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 } },
        { name: "a privileged port", raw: { lbPort: "80" }, message: 'zdr:lbPort: must be an integer from 1024 to 65535; got "80"' },
        { name: "lbPort among the app ports", raw: { lbPort: "9102" }, message: "zdr:lbPort: 9102 is one of the app ports 9101-9103; choose another" },
        { name: "dbPort equal to lbPort", raw: { lbPort: "9000", dbPort: "9000" }, message: "zdr:dbPort: 9000 collides with lbPort or the app ports; choose another" },
        { name: "prometheusPort set", raw: { prometheusPort: "19090" }, want: { lbPort: 8080, appBasePort: 9101, dbPort: 55432, prometheusPort: 19090 } },
        { name: "prometheusPort not a port", raw: { prometheusPort: "nine" }, message: 'zdr:prometheusPort: must be an integer from 1024 to 65533; got "nine"' },
        {
            name: "an exporter's port (prometheusPort + 2) among the app ports",
            raw: { prometheusPort: "9099" },
            message: "zdr:prometheusPort: 9099 to 9101 (Prometheus, HAProxy's exporter, the process exporter) collide with lbPort, dbPort or the app ports; choose another",
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            if (c.want) {
                assert.deepEqual(parseLocalConfig(c.raw, 3, c.env), c.want);
            } else {
                assert.throws(() => parseLocalConfig(c.raw, 3, c.env), (e: ConfigError) => e.problems.includes(c.message as string));
            }
        });
    }
});

describe("the local default's definition", () => {
    it("parses its ports and HAProxy's settings together, every problem at once", () => {
        const release = parseReleaseConfig({ servers: '["web-1","web-2","web-3"]' });
        assert.deepEqual(localTarget.parse({}, release, {}), {
            kind: "local",
            local: { lbPort: 8080, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 },
            loadBalancer: { healthCheckRise: 2, healthCheckFall: 2, connectTimeoutMs: 2000, requestTimeoutSeconds: 30, queueTimeoutSeconds: 10 },
        });
        assert.throws(() => localTarget.parse({ lbPort: "80", healthCheckRise: "0" }, release, {}), (e: ConfigError) =>
            e.problems.length === 2 && e.problems.some((p) => p.startsWith("zdr:lbPort:")) && e.problems.some((p) => p.startsWith("zdr:healthCheckRise:")));
    });
});
