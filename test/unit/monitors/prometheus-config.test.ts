import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { haproxyConfig } from "../../../targets/local/environment";
import { localMonitoring, prometheusArgv, prometheusConfig, retention, scrapeTargetFile, scrapeTargetJson, targetDirs } from "../../../src/monitors/prometheus-config";

describe("the local default's Prometheus", () => {
    const m = localMonitoring(19090);
    const folders = targetDirs("/p");

    it("puts HAProxy's exporter and the process exporter on the two ports after prometheusPort", () => {
        assert.deepEqual(m, { prometheusUrl: "http://127.0.0.1:19090", prometheusPort: 19090, haproxyMetricsPort: 19091, processMetricsPort: 19092 });
    });

    it("scrapes HAProxy's server and backend scopes, the process exporter and each server's metricsPath, every second", () => {
        const c = JSON.parse(prometheusConfig(m, folders, "/metrics"));
        assert.deepEqual(c.global, { scrape_interval: "1s", scrape_timeout: "1s" });
        assert.deepEqual(
            c.scrape_configs.map((j: { job_name: string; static_configs: unknown }) => [j.job_name, j.static_configs]),
            [
                ["haproxy", [{ targets: ["127.0.0.1:19091"] }]],
                ["zdr-process", [{ targets: ["127.0.0.1:19092"] }]],
                ["app", undefined],
            ],
        );
        assert.deepEqual(c.scrape_configs[0].params, { scope: ["server", "backend"] });
        assert.equal(c.scrape_configs[2].metrics_path, "/metrics");
    });

    it("names no server: the app's endpoints are the target files of the servers and the fresh baselines, so a fleet change leaves it as it is", () => {
        const c = JSON.parse(prometheusConfig(m, folders, "/metrics"));
        assert.deepEqual(c.scrape_configs[2].file_sd_configs, [{ files: ["/p/prometheus/servers/*.json", "/p/prometheus/fresh/*.json"], refresh_interval: "5s" }]);
    });

    it("labels a server's target with its name: web-1 on 9101 is servers/web-1.json", () => {
        assert.equal(scrapeTargetFile(folders[0], "web-1"), "/p/prometheus/servers/web-1.json");
        assert.deepEqual(JSON.parse(scrapeTargetJson("web-1", "127.0.0.1:9101")), [{ targets: ["127.0.0.1:9101"], labels: { server: "web-1" } }]);
    });

    it("scrapes no app endpoint when the app declares no metricsPath", () => {
        assert.deepEqual(JSON.parse(prometheusConfig(m, folders)).scrape_configs.map((j: { job_name: string }) => j.job_name), ["haproxy", "zdr-process"]);
    });

    it("writes a configuration Prometheus' own checker accepts (promtool check config)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-prom-"));
        try {
            fs.writeFileSync(path.join(dir, "prometheus.yml"), prometheusConfig(m, targetDirs(dir), "/metrics"));
            assert.match(execFileSync("promtool", ["check", "config", path.join(dir, "prometheus.yml")], { encoding: "utf8" }), /SUCCESS/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("listens on loopback only, keeps its data in the stack's folder, bounds its retention and looks back 5 s for a sample (a series not scraped has no value)", () => {
        assert.deepEqual(prometheusArgv(m, "/p/.zdr/local/dev"), [
            "prometheus",
            "--config.file=/p/.zdr/local/dev/prometheus/prometheus.yml",
            "--storage.tsdb.path=/p/.zdr/local/dev/prometheus/data",
            `--storage.tsdb.retention.time=${retention.time}`,
            `--storage.tsdb.retention.size=${retention.size}`,
            "--web.listen-address=127.0.0.1:19090",
            "--query.lookback-delta=5s",
        ]);
    });

    it("serves HAProxy's built-in exporter on its own frontend, out of the request log, in a configuration haproxy -c accepts", () => {
        const app = { name: "shop", startCommand: ["./app"], stopSignal: "SIGTERM" as const, stopGraceSeconds: 5, healthCheckPath: "/health", schemaVersions: {}, db: { name: "shop", user: "shop" } };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-haproxy-"));
        try {
            const config = haproxyConfig(
                { app, servers: ["web-1"], dir, lbPort: 18080, appBasePort: 19101, dbPort: 15432, healthCheckIntervalMs: 250, dbPassword: "x", prometheusPort: 19090 },
                { runtimeApi: path.join(dir, "haproxy.sock"), stateFile: path.join(dir, "haproxy.state") },
            );
            assert.ok(config.includes(["frontend metrics", "    bind 127.0.0.1:19091", "    no log", "    http-request use-service prometheus-exporter if { path /metrics }"].join("\n")), config);
            fs.writeFileSync(path.join(dir, "haproxy.cfg"), config);
            execFileSync("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg")], { encoding: "utf8", stdio: "pipe" });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
