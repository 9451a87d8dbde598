// Settings of the hosts target (zdr:target: hosts): app servers and an HAProxy host that zdr
// reaches over SSH. Pure: raw stack config in, validated settings out, before anything changes;
// every message names the key and what is allowed.
import { memberType } from "../../contract/tokens";
import type { TargetDefinition } from "../target";
import { type ConfigKey, ConfigError, isPrivateKeyText, type KeyCheck, listOf, namespace, type NumberKey, RawConfig, readList, readNumber, readString, ReleaseConfig, textOf } from "../../src/release/config";
import { sshTargetKeyRows, sshTargetNumberKeys, sshTargetRawOf, sshTargetRows, type SshTargetSettings, sshTargetSettingOfKey, wantsDatabase } from "../ssh-keys";
import { keysFor, knownHostsName, parseKnownHosts } from "../../src/ssh/known-hosts";
import { defaultNodeExporterPort, hostsMetricChecks, noPrometheusUrl } from "./metrics";

export interface HostAddress {
    readonly address: string;
    readonly sshPort: number;
}

export interface HostsConfig extends SshTargetSettings {
    /** Server name -> where its SSH server is (the app's health is polled on the same address). */
    readonly hosts: Readonly<Record<string, HostAddress>>;
    /** known_hosts lines; every host's and the HAProxy host's key must be among them. */
    readonly knownHosts: readonly string[];
    /**
     * The host HAProxy runs on, its admin socket there (a UNIX socket path), and its request log
     * there (the canary judge's evidence, read over SSH; required when bakeSeconds > 0).
     */
    readonly haproxy: HostAddress & { readonly socket: string; readonly logFile?: string };
    /**
     * The team's own Prometheus (its HTTP API, read from where `pulumi up` runs) and the port of
     * node_exporter on every host: a server's `{instance}` is `<its address>:<port>` (metrics.ts).
     * @default - none: the canary's metric checks are off, and its judgement says so
     */
    readonly prometheus?: { readonly url: string; readonly nodeExporterPort: number };
}

const hostName = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/;

/** "address" or "address:port" (port 1-65535, default 22); undefined when it is neither. */
export function parseHostAddress(text: string): HostAddress | undefined {
    const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
    if (!m || !hostName.test(m[1]) || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
        return undefined;
    }
    return { address: m[1], sshPort: m[2] === undefined ? 22 : Number(m[2]) };
}

/** The hosts target's own numeric key (ssh-keys.ts has those it shares with AWS). */
export const hostsNumberKeys = {
    nodeExporterPort: {
        key: "nodeExporterPort", fallback: defaultNodeExporterPort, min: 1, max: 65535, meaning: "node_exporter's port on every host: a server's {instance} is <its host's address>:<port>",
        description:
            "Hosts target. The port node_exporter listens on on every host (1-65535): a server's {instance} in a " +
            "metric check's query is \"<its host's address>:<port>\", the instance label your Prometheus gives that " +
            "target.",
    },
} as const satisfies Record<string, NumberKey>;

/** The hosts target's other own keys (ssh-keys.ts has those it shares with AWS). */
export const hostsKeyRows = {
    hosts: {
        key: "hosts", type: "list", items: "string", allowed: 'a list of "server=address" or "server=address:sshPort" entries',
        description:
            "Hosts target, required. \"server=address\" or \"server=address:sshPort\" for every server; zdr logs in " +
            "there over SSH and polls the app's health on address:appPort from the host.",
    },
    haproxyHost: {
        key: "haproxyHost", type: "string", fallback: "", allowed: "the address (or address:sshPort) of the host HAProxy runs on, e.g. 10.0.0.10",
        description:
            "Hosts target, required. \"address\" or \"address:sshPort\" of the host HAProxy runs on; zdr reaches its " +
            "admin socket there through SSH.",
    },
    haproxySocket: {
        key: "haproxySocket", type: "string", fallback: "/run/haproxy/admin.sock", pattern: /^\/[\x21-\x7e]{1,106}$/,
        description:
            "Hosts target. The path of HAProxy's admin socket on its host (\"stats socket <path> mode 600 level " +
            "admin\", a UNIX socket; never open it on a network address). HAProxy's backend appName must declare " +
            "every server by its name.",
        allowed: 'the absolute path of HAProxy\'s admin socket on its host (a UNIX socket: "stats socket <path> level admin")',
    },
    haproxyLogFile: {
        key: "haproxyLogFile", type: "string", fallback: "", pattern: /^\/[\x21-\x7e]{1,4095}$/,
        description:
            "Hosts target. The absolute path of HAProxy's request log on its host, the canary judge's evidence " +
            "(read over SSH, from the end, each second of a bake); required when bakeSeconds > 0. HAProxy must " +
            "write one line per request with log-format \"%Ts%ms %s %ST %Tr %Tt %HM %HPO %hs\" and \"capture " +
            "response header x-error len 120\" (docs/hosts.md).",
        allowed: "the absolute path of HAProxy's request log on its host (no spaces), written with the log-format in docs/hosts.md",
    },
    prometheusUrl: {
        key: "prometheusUrl", type: "string", fallback: "",
        description:
            "Hosts target. The base URL of your own Prometheus (http or https, e.g. http://10.0.0.9:9090; no user " +
            "or password in it), read from where `pulumi up` runs: the canary's metric checks (canaryMetrics and " +
            "the defaults host-cpu and host-memory from node_exporter) are judged on it, each server's {instance} " +
            "being \"<its host's address>:nodeExporterPort\". Empty: the metric checks are off, and each judgement " +
            "says so (docs/canary.md, \"Metric checks\").",
        allowed: "the base URL of the team's Prometheus (its HTTP API, e.g. http://10.0.0.9:9090 or https://prometheus.example.org/prom), reachable from where `pulumi up` runs",
    },
} as const satisfies Record<string, ConfigKey>;

/** Every key the hosts target reads beyond the release's, the app's and the canary's, as rows of the config table. */
export const hostsRows: readonly ConfigKey[] = [...sshTargetRows, ...Object.values(hostsKeyRows), ...Object.values(hostsNumberKeys)];

/**
 * The team's Prometheus' base URL (http or https, no user or password: a credential in the URL
 * would sit in the stack file in plain text; no query or fragment), without a trailing slash;
 * a message naming the key when it is not one.
 */
export function parsePrometheusUrl(text: string): { url: string } | { problem: string } {
    const key = `${namespace}:prometheusUrl`;
    const allowed = hostsKeyRows.prometheusUrl.allowed;
    let u: URL;
    try {
        u = new URL(text.trim());
    } catch {
        return { problem: `${key}: must be ${allowed}; got ${JSON.stringify(text)}` };
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
        return { problem: `${key}: must be an http or https URL (${allowed}); got ${JSON.stringify(text)}` };
    }
    if (u.username || u.password) {
        return { problem: `${key}: must not hold a user or password (the stack file keeps it in plain text); put Prometheus behind a proxy that needs none from this machine, or reach it on a private address` };
    }
    if (u.search || u.hash) {
        return { problem: `${key}: must be a base URL with no query or fragment (zdr adds /api/v1/query_range); got ${JSON.stringify(text)}` };
    }
    return { url: `${u.origin}${u.pathname.replace(/\/+$/, "")}` };
}

/**
 * Worked example (Pulumi.hosts.yaml): hosts [web-1=198.18.0.11, web-2=198.18.0.12],
 * haproxyHost 198.18.0.10, knownHosts with a line for each of the three, deployCommand
 * "sudo /opt/shop/deploy {version}": each deploy runs that on its host over SSH as sshUser,
 * then polls http://<host>:appPort<healthCheckPath> from the host until it answers 2xx.
 * The secret sshPrivateKey is in `raw` as plain text; only its form is checked, never printed.
 */
export function parseHostsConfig(raw: RawConfig, release: ReleaseConfig, keyCheck: KeyCheck = "now"): HostsConfig {
    const problems: string[] = [];
    const k = hostsKeyRows;
    const shared = sshTargetKeyRows;
    const required = "for the hosts target";

    if (keyCheck === "now" && !isPrivateKeyText(raw.sshPrivateKey)) {
        problems.push(`${namespace}:sshPrivateKey: the hosts target needs the SSH private key of sshUser (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE`);
    }
    const logFile = readString(raw, k.haproxyLogFile, problems) || undefined;
    if (logFile === undefined && release.bakeSeconds > 0) {
        problems.push(`${namespace}:haproxyLogFile: required on the hosts target when bakeSeconds > 0 (the canary judge reads HAProxy's request log on its host over SSH): the absolute path of that log, written with the log-format in docs/hosts.md, e.g. /var/log/haproxy-requests.log; or set bakeSeconds to 0`);
    }

    const hosts: Record<string, HostAddress> = {};
    const listed = readList(raw, k.hosts, problems);
    for (const entry of listed ?? []) {
        const m = /^([^=\s]+)=(.+)$/.exec(entry);
        const where = m ? parseHostAddress(m[2]) : undefined;
        if (!m || !where) {
            problems.push(`${namespace}:hosts: ${JSON.stringify(entry)} is not "server=address" or "server=address:sshPort" (an IPv4 address or a host name)`);
        } else if (!release.servers.includes(m[1])) {
            problems.push(`${namespace}:hosts: ${m[1]} is not one of the servers (${release.servers.join(", ")})`);
        } else if (hosts[m[1]]) {
            problems.push(`${namespace}:hosts: ${m[1]} is listed twice`);
        } else {
            hosts[m[1]] = where;
        }
    }
    const missing = release.servers.filter((s) => !hosts[s]);
    if (listed && missing.length > 0) {
        problems.push(`${namespace}:hosts: no host for ${missing.join(", ")}; every server needs "server=address"`);
    }

    const haproxyText = readString(raw, k.haproxyHost, problems, required);
    const haproxyAt = haproxyText ? parseHostAddress(haproxyText) : undefined;
    if (haproxyText && !haproxyAt) {
        problems.push(`${namespace}:haproxyHost: must be an address or address:sshPort, e.g. 10.0.0.10 or lb.example.org:2222; got ${JSON.stringify(haproxyText)}`);
    }
    const socket = readString(raw, k.haproxySocket, problems);

    const knownRaw = readList(raw, shared.knownHosts, problems);
    const knownHosts = knownRaw ?? [];
    if (knownRaw?.length === 0) {
        problems.push(`${namespace}:knownHosts: must be ${shared.knownHosts.allowed}; got none`);
    } else if (knownRaw) {
        try {
            const known = parseKnownHosts(knownHosts);
            const needed: [string, HostAddress][] = [...Object.entries(hosts), ...(haproxyAt ? [["the HAProxy host", haproxyAt] as [string, HostAddress]] : [])];
            for (const [who, at] of needed) {
                if (keysFor(known, at.address, at.sshPort).filter((key) => !key.revoked).length === 0) {
                    problems.push(`${namespace}:knownHosts: no line for ${who} (${knownHostsName(at.address, at.sshPort)}); zdr never trusts a host on first use: add its line (ssh-keyscan${at.sshPort === 22 ? "" : ` -p ${at.sshPort}`} ${at.address}) after checking its fingerprint on the host`);
                }
            }
        } catch (e) {
            problems.push(`${namespace}:knownHosts: ${(e as Error).message}`);
        }
    }

    const deployCommand = readString(raw, shared.deployCommand, problems, required);
    const stopCommand = readString(raw, shared.stopCommand, problems, required);
    const db = wantsDatabase(raw) ? {
        host: readString(raw, shared.dbHost, problems, required),
        port: readNumber(raw, sshTargetNumberKeys.dbPortRemote, problems),
    } : undefined;
    const appPort = readNumber(raw, sshTargetNumberKeys.appPort, problems);
    const sshTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.sshTimeoutSeconds, problems);
    const commandTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.commandTimeoutSeconds, problems);
    const healthPollIntervalMs = readNumber(raw, sshTargetNumberKeys.healthPollIntervalMs, problems);
    const nodeExporterPort = readNumber(raw, hostsNumberKeys.nodeExporterPort, problems);
    const prometheusText = readString(raw, k.prometheusUrl, problems);
    const prometheusUrl = prometheusText ? parsePrometheusUrl(prometheusText) : undefined;
    if (prometheusUrl && "problem" in prometheusUrl) {
        problems.push(prometheusUrl.problem);
    }
    const sshUser = readString(raw, shared.sshUser, problems);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return {
        hosts,
        sshUser,
        knownHosts,
        haproxy: { ...(haproxyAt as HostAddress), socket, ...(logFile ? { logFile } : {}) },
        appPort,
        deployCommand,
        stopCommand,
        sshTimeoutSeconds,
        commandTimeoutSeconds,
        healthPollIntervalMs,
        ...(db ? { db } : {}),
        ...(prometheusUrl && "url" in prometheusUrl ? { prometheus: { url: prometheusUrl.url, nodeExporterPort } } : {}),
    };
}

/** A command for one server: `{version}` and `{server}` replaced (both are validated names, safe in a shell word). */
export function hostCommand(command: string, server: string, version: string): string {
    return command.split("{version}").join(version).split("{server}").join(server);
}

export interface HostsTargetConfig {
    readonly kind: "hosts";
    readonly hosts: HostsConfig;
}

/** Hosts: the team's own machines reached over SSH, behind the team's own HAProxy. */
export const hostsTarget: TargetDefinition<"hosts", HostsTargetConfig> = {
    kind: "hosts",
    summary: "the team's own hosts reached over SSH, behind the team's own HAProxy",
    configKeys: hostsRows,
    metricChecks: (settings, canaryMetrics) => (settings.hosts.prometheus ? { checks: canaryMetrics.checks, store: "prometheus" } : { off: noPrometheusUrl }),
    metricDefaults: hostsMetricChecks,
    usesSshKey: true,
    ownsDatabase: false,
    ownsLoadBalancer: false,
    dashboard: false,
    exampleStack: "Pulumi.hosts.yaml",
    membershipTypes: [memberType],
    fleetStatus: async () => (await import("../../src/status/haproxy")).haproxyFleetStatus,
    parse: (raw, release, ctx) => ({ kind: "hosts", hosts: parseHostsConfig(raw, release, ctx.keyCheck) }),
    rawOf: (s) => hostsRawOf(s.hosts),
    settingsOf: (c) => c,
    settingOfKey: {
        ...sshTargetSettingOfKey("hosts"),
        hosts: "target.hosts.hosts", knownHosts: "target.hosts.knownHosts", haproxyHost: "target.hosts.haproxy.address",
        haproxySocket: "target.hosts.haproxy.socket", haproxyLogFile: "target.hosts.haproxy.logFile",
        prometheusUrl: "target.hosts.prometheus.url", nodeExporterPort: "target.hosts.prometheus.nodeExporterPort",
    },
};

const sshAddress = (at: HostAddress) => `${at.address}:${at.sshPort}`;

/** A typed hosts target as the hosts target's keys' text. */
export function hostsRawOf(h: HostsConfig): RawConfig {
    return {
        ...sshTargetRawOf(h),
        hosts: listOf(Object.entries(h.hosts).map(([server, at]) => `${server}=${sshAddress(at)}`)), knownHosts: listOf(h.knownHosts),
        haproxyHost: sshAddress(h.haproxy), haproxySocket: h.haproxy.socket, haproxyLogFile: h.haproxy.logFile,
        prometheusUrl: h.prometheus?.url, nodeExporterPort: textOf(h.prometheus?.nodeExporterPort),
    };
}
