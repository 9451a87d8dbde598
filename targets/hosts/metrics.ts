// The hosts target's metric checks: read from the team's own Prometheus (zdr:prometheusUrl), where
// each server's `{instance}` is its host's node_exporter (`<address>:<nodeExporterPort>`, the
// address of zdr:hosts), and the defaults need nothing from the app: the host's CPU and memory
// as node_exporter reports them. The hosts target runs one server per host (zdr:hosts names one
// address a server, and the health check asks address:appPort), so a host's CPU and memory are
// its server's, with whatever else runs there. Pure: the program and the judgement use it.
import type { MetricCheckConfig } from "../../src/monitors/config";

/** node_exporter's default port (Debian's prometheus-node-exporter listens on it). */
export const defaultNodeExporterPort = 9100;

/** CPU busy on the host: every mode but idle, and the time it waited on disks or for its hypervisor (not the app's work). */
const busy = 'node_cpu_seconds_total{instance="{instance}",mode!~"idle|iowait|steal"}';

/**
 * The defaults on the hosts target (canaryDefaultMetrics), from node_exporter:
 * - host-cpu: the host's CPU busy over the bake so far, in cores (CPU seconds busy since `{from}`,
 *   the warm-up's end 10 s in, over the seconds since): each host takes an equal share of the
 *   requests (one HAProxy backend, the same weight), so a canary spending twice the CPU on its
 *   share shows as about twice its baseline's cores. Judged from 15 s, like the local default's
 *   cpu-per-request, and with its tolerance (1.5x).
 * - host-memory: the host's memory in use (MemTotal - MemAvailable: what the kernel could not
 *   reclaim), up to 1.5x the baseline hosts'.
 * Worked example: web-1 on 10.0.0.11, nodeExporterPort 9100: `{instance}` is 10.0.0.11:9100, the
 * instance label Prometheus gives a target it scrapes at that address.
 */
export const hostsMetricChecks: readonly MetricCheckConfig[] = [
    {
        name: "host-cpu",
        query: `(sum(${busy}) - sum(${busy} @ {from})) / (time() - {from})`,
        better: "lower",
        tolerance: 0.5,
        warmupSeconds: 10,
    },
    {
        name: "host-memory",
        query: 'sum(node_memory_MemTotal_bytes{instance="{instance}"}) - sum(node_memory_MemAvailable_bytes{instance="{instance}"})',
        better: "lower",
        tolerance: 0.5,
    },
];

/** A server's `{instance}` on the hosts target: its host's node_exporter, as Prometheus labels that target. */
export const nodeInstance = (address: string, nodeExporterPort: number): string => `${address}:${nodeExporterPort}`;

/** Why the metric checks are off on a hosts stack without zdr:prometheusUrl (the judgement says it). */
export const noPrometheusUrl = "metric checks off: zdr:prometheusUrl is not set (the hosts target reads the team's own Prometheus; set it to judge the canary's metrics)";
