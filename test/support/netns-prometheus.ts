// The team's own monitoring on the test hosts (network namespaces of test/support/netns-hosts.ts),
// as the hosts target expects to find it: Debian's prometheus-node-exporter on each app host
// (<address>:9100, the cpu and meminfo collectors: what the hosts target's default checks read),
// and Debian's Prometheus on a host of its own scraping every second each host's node_exporter
// (job "node") and each server's own metrics endpoint (job "webshop", <address>:<appPort>/metrics),
// every target labelled with its server's name, as a team labels its targets. zdr reads it by URL
// from this machine (zdr:prometheusUrl). Every process is started by its pid and stopped by it; the
// fixture's close() kills whatever is left in the namespaces.
//
// The test hosts share this machine's kernel: node_exporter on each reads the same /proc/stat and
// /proc/meminfo, so its CPU and memory are the machine's, alike on every host. What tells a canary
// apart here is the app's own process metrics (the team's checks on job "webshop").
import * as fs from "node:fs";
import * as path from "node:path";
import { type NetnsHosts, tcpAccepts } from "./netns-hosts";

export const nodeExporterPort = 9100;
const prometheusPort = 9090;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface NetnsMonitoring {
    /** Prometheus' HTTP API on its host: what zdr:prometheusUrl names. */
    readonly url: string;
    /** Stops Prometheus (SIGTERM, SIGKILL after 10 s) by its pid; its data stays. */
    stopPrometheus(): Promise<void>;
    /** Starts it again on the same data, once it answers /-/ready. */
    startPrometheus(): Promise<void>;
    /** Stops a host's node_exporter by its pid (a host no longer scraped). */
    stopNodeExporter(host: string): Promise<void>;
    startNodeExporter(host: string): Promise<void>;
    /** The targets' health as Prometheus sees them ("server job" -> up), bounded in time. */
    targetsUp(): Promise<Record<string, boolean>>;
    /** Stops every process it started, by pid. */
    close(): Promise<void>;
}

async function stopPid(pid: number | undefined): Promise<void> {
    if (pid === undefined) {
        return;
    }
    try {
        process.kill(pid, "SIGTERM");
    } catch {
        return;
    }
    for (let i = 0; i < 100; i++) {
        try {
            process.kill(pid, 0);
        } catch {
            return;
        }
        await sleep(100);
    }
    try {
        process.kill(pid, "SIGKILL");
    } catch {
        // gone
    }
}

/**
 * Starts node_exporter on each of `servers` (host name = server name) and Prometheus on
 * `prometheusHost`, scraping them and each server's app at appPort; resolves once Prometheus
 * answers /-/ready (bounded: 30 s tries).
 */
export async function startNetnsMonitoring(fleet: NetnsHosts, prometheusHost: string, servers: readonly string[], appPort: number): Promise<NetnsMonitoring> {
    const home = fleet.host(prometheusHost);
    const dir = path.join(home.dir, "prometheus");
    fs.mkdirSync(dir, { recursive: true });
    const scrape = { scrape_interval: "1s", scrape_timeout: "1s" };
    const labelled = (port: number) => servers.map((s) => ({ targets: [`${fleet.host(s).address}:${port}`], labels: { server: s } }));
    fs.writeFileSync(path.join(dir, "prometheus.yml"), `${JSON.stringify({
        global: scrape,
        scrape_configs: [
            { job_name: "node", ...scrape, static_configs: labelled(nodeExporterPort) },
            { job_name: "webshop", ...scrape, metrics_path: "/metrics", static_configs: labelled(appPort) },
        ],
    }, null, 2)}\n`);
    const url = `http://${home.address}:${prometheusPort}`;
    let prometheusPid: number | undefined;
    const exporters = new Map<string, number>();

    const startPrometheus = async () => {
        prometheusPid = fleet.spawn(prometheusHost, [
            "prometheus",
            `--config.file=${path.join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            "--storage.tsdb.retention.time=2h",
            `--web.listen-address=${home.address}:${prometheusPort}`,
            // as zdr's own Prometheus (src/monitors/prometheus-config.ts): a target not scraped
            // for 5 s has no value, rather than its last one repeated for 5 minutes
            "--query.lookback-delta=5s",
        ], path.join(dir, "prometheus.log"));
        for (let i = 0; i < 300; i++) {
            const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
            if (ready) {
                return;
            }
            await sleep(100);
        }
        throw new Error(`Prometheus on test host ${prometheusHost} did not become ready; see ${path.join(dir, "prometheus.log")}`);
    };
    const startNodeExporter = async (host: string) => {
        const h = fleet.host(host);
        exporters.set(host, fleet.spawn(host, [
            "prometheus-node-exporter",
            `--web.listen-address=${h.address}:${nodeExporterPort}`,
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
        ], path.join(h.dir, "node-exporter.log")));
        for (let i = 0; i < 100 && !(await tcpAccepts(h.address, nodeExporterPort)); i++) {
            await sleep(100);
        }
    };
    const targetsUp = async (): Promise<Record<string, boolean>> => {
        const body = (await (await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5000) })).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } };
        return Object.fromEntries(body.data.activeTargets.map((t) => [`${t.labels.server} ${t.labels.job}`, t.health === "up"]));
    };

    for (const s of servers) {
        await startNodeExporter(s);
    }
    await startPrometheus();
    return {
        url,
        stopPrometheus: async () => {
            await stopPid(prometheusPid);
            prometheusPid = undefined;
        },
        startPrometheus,
        stopNodeExporter: async (host) => {
            await stopPid(exporters.get(host));
            exporters.delete(host);
        },
        startNodeExporter,
        targetsUp,
        close: async () => {
            await stopPid(prometheusPid);
            for (const pid of exporters.values()) {
                await stopPid(pid);
            }
        },
    };
}
