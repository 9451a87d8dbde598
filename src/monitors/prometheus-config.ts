// The local default's Prometheus: what it scrapes and where its exporters listen. Pure: the
// environment (targets/local/environment.ts) writes the files and starts the processes.
//   prometheusPort      Prometheus itself (its HTTP API: what the canary's metric checks read)
//   prometheusPort + 1  HAProxy's built-in exporter (a frontend of the stack's HAProxy)
//   prometheusPort + 2  each server's CPU and memory (scripts/local/process-metrics.js)
// and each server's own metrics endpoint when the app declares metricsPath.
import * as path from "node:path";

/** Every target is scraped this often: a 60 s bake has about 60 points per server. */
export const scrapeIntervalSeconds = 1;

/**
 * How far back a query looks for a series' last sample (Prometheus' default is 5 minutes). A
 * target not scraped for longer has no value: with the default, a Prometheus that was down (it
 * writes no staleness markers then) or a scrape that stalled would read as the last value
 * repeated, "no data" read as data. Five scrape intervals.
 */
export const lookbackDelta = `${5 * scrapeIntervalSeconds}s`;

/** The stack's Prometheus keeps at most this much: enough for any bake and its report, bounded on disk. */
export const retention = { time: "6h", size: "512MB" } as const;

export interface LocalMonitoring {
    /** Prometheus' HTTP API: http://127.0.0.1:<prometheusPort>. */
    readonly prometheusUrl: string;
    readonly prometheusPort: number;
    /** HAProxy's exporter listens here (a frontend of the stack's HAProxy). */
    readonly haproxyMetricsPort: number;
    /** scripts/local/process-metrics.js listens here. */
    readonly processMetricsPort: number;
}

/** The three ports from prometheusPort. */
export function localMonitoring(prometheusPort: number): LocalMonitoring {
    return {
        prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
        prometheusPort,
        haproxyMetricsPort: prometheusPort + 1,
        processMetricsPort: prometheusPort + 2,
    };
}

/** The stack's Prometheus URL and the metric checks, for `zdr watch`: <dir>/prometheus/watch.json. */
export const watchFile = (dir: string) => path.join(dir, "prometheus", "watch.json");

/**
 * Where Prometheus finds the servers: one file_sd target file per server (`<server>.json`:
 * [{targets: ["127.0.0.1:<port>"], labels: {server}}]), written and removed by the server's
 * zdr:local:ScrapeTarget (targets/local/provider/scrape-target.ts). Prometheus' app job and the process
 * exporter read every file here, so that adding or removing a server restarts neither: their
 * configuration names the folder, never the servers.
 */
export const serverTargetsDir = (dir: string) => path.join(dir, "prometheus", "servers");

/**
 * A canary's fresh baseline (provider/canary/fresh-baseline.ts) is a process on a port chosen
 * when its bake starts: the judgement writes it here, as a target file like a server's, and
 * removes it when the fresh baseline stops.
 */
export const freshTargetsDir = (dir: string) => path.join(dir, "prometheus", "fresh");

/** The folders of target files Prometheus and the process exporter watch: the servers', the fresh baselines'. */
export const targetDirs = (dir: string): string[] => [serverTargetsDir(dir), freshTargetsDir(dir)];

/** A server's target file in a folder of targets. */
export const scrapeTargetFile = (folder: string, server: string) => path.join(folder, `${server}.json`);

/** A target file's content: the server at its address, labelled with its name. */
export const scrapeTargetJson = (server: string, address: string): string => `${JSON.stringify([{ targets: [address], labels: { server } }])}\n`;

/** A server's `instance` label in Prometheus (its own metrics endpoint's target): what `{instance}` in a query becomes. */
export const serverInstance = (port: number) => `127.0.0.1:${port}`;

/**
 * prometheus.yml (as JSON, which is YAML) for one stack: it names no server, so a fleet change
 * leaves it as it is. Worked example: target folders [<dir>/prometheus/servers,
 * <dir>/prometheus/fresh], metricsPath /metrics, and servers/web-1.json holding 127.0.0.1:9101
 * with server="web-1": job "app" scrapes 127.0.0.1:9101/metrics with the label server="web-1";
 * job "haproxy" scrapes HAProxy's exporter (its series carry proxy and server labels of their
 * own); job "zdr-process" scrapes the process exporter (server="web-1" in each series).
 */
export function prometheusConfig(m: LocalMonitoring, targetFolders: readonly string[], metricsPath?: string): string {
    const scrape = { scrape_interval: `${scrapeIntervalSeconds}s`, scrape_timeout: `${scrapeIntervalSeconds}s` };
    const jobs: object[] = [
        // server and backend scopes only: the frontend's and HAProxy's own series are not judged
        { job_name: "haproxy", ...scrape, metrics_path: "/metrics", params: { scope: ["server", "backend"] }, static_configs: [{ targets: [`127.0.0.1:${m.haproxyMetricsPort}`] }] },
        { job_name: "zdr-process", ...scrape, static_configs: [{ targets: [`127.0.0.1:${m.processMetricsPort}`] }] },
    ];
    if (metricsPath) {
        jobs.push({
            job_name: "app",
            ...scrape,
            metrics_path: metricsPath,
            // Prometheus watches the folders: a file written there is scraped at once (the refresh is a fallback)
            file_sd_configs: [{ files: targetFolders.map((f) => path.join(f, "*.json")), refresh_interval: "5s" }],
        });
    }
    return `${JSON.stringify({ global: scrape, scrape_configs: jobs }, null, 2)}\n`;
}

/** Prometheus' command line: loopback only, its data in the stack's folder, bounded retention. */
export function prometheusArgv(m: LocalMonitoring, dir: string): string[] {
    return [
        "prometheus",
        `--config.file=${path.join(dir, "prometheus", "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "prometheus", "data")}`,
        `--storage.tsdb.retention.time=${retention.time}`,
        `--storage.tsdb.retention.size=${retention.size}`,
        `--web.listen-address=127.0.0.1:${m.prometheusPort}`,
        `--query.lookback-delta=${lookbackDelta}`,
    ];
}
