// The local default's settings: its ports (HAProxy, the servers, PostgreSQL) and HAProxy's
// health-check and time-out settings (lb-config.ts). Pure: raw stack config in, settings out.
import { collect, ConfigError, namespace, type NumberKey, type RawConfig, readNumber, textOf } from "../../src/release/config";
import { memberType } from "../../contract/tokens";
import type { TargetDefinition } from "../target";
import { type LbSettings, lbNumberKeys, parseLbConfig } from "./lb-config";

export interface LocalConfig {
    readonly lbPort: number;
    readonly appBasePort: number;
    readonly dbPort: number;
    /** The stack's Prometheus; HAProxy's exporter and the process exporter listen on the next two ports (src/monitors/prometheus-config.ts). */
    readonly prometheusPort: number;
}

/** The local default's port keys (lb-config.ts has HAProxy's). */
export const localNumberKeys = {
    lbPort: {
        key: "lbPort", fallback: 0, min: 1024, max: 65535, meaning: "the load balancer's port on 127.0.0.1; 0 means $ZDR_LB_PORT, else 8080",
        description: "Local default only. The load balancer listens on 127.0.0.1:lbPort; 0 means $ZDR_LB_PORT, else 8080.",
    },
    appBasePort: {
        key: "appBasePort", fallback: 9101, min: 1024, max: 65535, meaning: "server i listens on appBasePort + i (all of them within the range)",
        description:
            "Local default only. The servers listen on 127.0.0.1 from this port up: a server keeps the port it " +
            "was given for its lifetime, a new one takes the lowest free port (at the first up, server i gets " +
            "appBasePort + i).",
    },
    dbPort: {
        key: "dbPort", fallback: 55432, min: 1024, max: 65535, meaning: "PostgreSQL's port on 127.0.0.1",
        description: "Local default only. PostgreSQL listens on 127.0.0.1:dbPort.",
    },
    prometheusPort: {
        key: "prometheusPort", fallback: 9090, min: 1024, max: 65533, meaning: "Prometheus' port; its exporters take the next two",
        description:
            "Local default only. The stack's Prometheus listens on 127.0.0.1:prometheusPort, HAProxy's Prometheus " +
            "exporter on the next port and the servers' process exporter (CPU, memory) on the one after.",
    },
} as const satisfies Record<string, NumberKey>;

/**
 * Ports of the local default. lbPort unset or 0 means $ZDR_LB_PORT, else 8080; server i listens on
 * appBasePort + i; Prometheus on prometheusPort (9090) and its exporters on the next two; all must
 * be distinct and within 1024-65535.
 */
export function parseLocalConfig(raw: RawConfig, serverCount: number, envLbPort?: string): LocalConfig {
    const problems: string[] = [];
    const lbDefault = envLbPort && /^\d+$/.test(envLbPort) ? Number(envLbPort) : 8080;
    const lbPort = raw.lbPort === "0" || !raw.lbPort ? lbDefault : readNumber(raw, localNumberKeys.lbPort, problems);
    const appBasePort = readNumber(raw, localNumberKeys.appBasePort, problems, localNumberKeys.appBasePort.max - Math.max(serverCount - 1, 0));
    const dbPort = readNumber(raw, localNumberKeys.dbPort, problems);
    const appPorts = (p: number) => p >= appBasePort && p < appBasePort + serverCount;
    if (appPorts(lbPort)) {
        problems.push(`${namespace}:lbPort: ${lbPort} is one of the app ports ${appBasePort}-${appBasePort + serverCount - 1}; choose another`);
    }
    if (appPorts(dbPort) || dbPort === lbPort) {
        problems.push(`${namespace}:dbPort: ${dbPort} collides with lbPort or the app ports; choose another`);
    }
    const prometheusPort = readNumber(raw, localNumberKeys.prometheusPort, problems);
    const monitoringPorts = [prometheusPort, prometheusPort + 1, prometheusPort + 2];
    if (monitoringPorts.some((p) => appPorts(p) || p === lbPort || p === dbPort)) {
        problems.push(`${namespace}:prometheusPort: ${prometheusPort} to ${prometheusPort + 2} (Prometheus, HAProxy's exporter, the process exporter) collide with lbPort, dbPort or the app ports; choose another`);
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { lbPort, appBasePort, dbPort, prometheusPort };
}

export interface LocalTargetConfig {
    readonly kind: "local";
    readonly local: LocalConfig;
    readonly loadBalancer: LbSettings;
}

/** The local default in a Release's typed settings. */
export interface LocalReleaseTarget {
    readonly kind: "local";
    /** The load balancer listens on 127.0.0.1:lbPort. */
    readonly lbPort: number;
    /** Server i listens on 127.0.0.1:(appBasePort + i) (a server keeps its port). @default 9101 */
    readonly appBasePort?: number;
    /** PostgreSQL listens on 127.0.0.1:dbPort. @default 55432 */
    readonly dbPort?: number;
    /** The stack's Prometheus on 127.0.0.1:prometheusPort, its two exporters on the next ports. @default 9090 */
    readonly prometheusPort?: number;
    /** HAProxy's health-check rise and fall and its timeouts. @default lbDefaults (targets/local/lb-config.ts) */
    readonly loadBalancer?: Partial<LbSettings>;
}

/** The local default: HAProxy, the app's processes and PostgreSQL on this machine's loopback. */
export const localTarget: TargetDefinition<"local", LocalTargetConfig, LocalReleaseTarget> = {
    kind: "local",
    summary: "HAProxy, the app's processes and PostgreSQL on this machine's loopback (the default)",
    configKeys: [...Object.values(localNumberKeys), ...Object.values(lbNumberKeys)],
    metricChecks: (_, canaryMetrics) => ({ checks: canaryMetrics.checks, store: "prometheus" }),
    usesSshKey: false,
    ownsDatabase: true,
    ownsLoadBalancer: true,
    dashboard: false,
    exampleStack: "Pulumi.local.yaml",
    membershipTypes: [memberType],
    fleetStatus: async () => (await import("../../src/status/haproxy")).haproxyFleetStatus,
    parse(raw, release, ctx) {
        const problems: string[] = [];
        const local = collect(problems, () => parseLocalConfig(raw, release.servers.length, ctx.envLbPort));
        const loadBalancer = collect(problems, () => parseLbConfig(raw));
        if (!local || !loadBalancer) {
            throw new ConfigError(problems);
        }
        return { kind: "local", local, loadBalancer };
    },
    rawOf: (t) => ({
        lbPort: textOf(t.lbPort), appBasePort: textOf(t.appBasePort), dbPort: textOf(t.dbPort), prometheusPort: textOf(t.prometheusPort),
        ...Object.fromEntries(Object.keys(lbNumberKeys).map((k) => [k, textOf(t.loadBalancer?.[k as keyof LbSettings])])),
    }),
    settingsOf: (c) => ({ kind: "local", ...c.local, loadBalancer: c.loadBalancer }),
    settingOfKey: {
        ...Object.fromEntries(Object.keys(localNumberKeys).map((k) => [k, `target.${k}`])),
        ...Object.fromEntries(Object.keys(lbNumberKeys).map((k) => [k, `target.loadBalancer.${k}`])),
    },
};
