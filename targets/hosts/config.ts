// Settings of the hosts target (zdr:target: hosts): app servers and an HAProxy host that zdr
// reaches over SSH. Pure: raw stack config in, validated settings out, before anything changes;
// every message names the key and what is allowed.
import { memberType } from "../../contract/tokens";
import type { TargetDefinition } from "../target";
import { ConfigError, isPrivateKeyText, json, type KeyCheck, namespace, type NumberKey, RawConfig, readNumber, ReleaseConfig } from "../../src/release/config";
import { sshTargetNumberKeys } from "../ssh-keys";
import { keysFor, knownHostsName, parseKnownHosts } from "../../src/ssh/known-hosts";
import { defaultNodeExporterPort, hostsMetricChecks, noPrometheusUrl } from "./metrics";

export interface HostAddress {
    readonly address: string;
    readonly sshPort: number;
}

export interface HostsConfig {
    /** Server name -> where its SSH server is (the app's health is polled on the same address). */
    readonly hosts: Readonly<Record<string, HostAddress>>;
    readonly sshUser: string;
    /** known_hosts lines; every host's and the HAProxy host's key must be among them. */
    readonly knownHosts: readonly string[];
    /**
     * The host HAProxy runs on, its admin socket there (a UNIX socket path), and its request log
     * there (the canary judge's evidence, read over SSH; required when bakeSeconds > 0).
     */
    readonly haproxy: HostAddress & { readonly socket: string; readonly logFile?: string };
    /** The app's port on each host: the health poll after a deploy asks address:appPort. */
    readonly appPort: number;
    /** Shell commands run on a host, `{version}` and `{server}` replaced. */
    readonly deployCommand: string;
    readonly stopCommand: string;
    /** Longest wait for an SSH connection and its handshake. */
    readonly sshTimeoutSeconds: number;
    /** Longest run of a deploy or stop command. */
    readonly commandTimeoutSeconds: number;
    /** Time between two health checks after a deploy (bounded overall by healthTimeoutSeconds). */
    readonly healthPollIntervalMs: number;
    /** Where the migrations run (database name and user are the app's: AppConfig.db). @default - none: an app without migrations needs no database keys */
    readonly db?: { readonly host: string; readonly port: number };
    /**
     * The team's own Prometheus (its HTTP API, read from where `pulumi up` runs) and the port of
     * node_exporter on every host: a server's `{instance}` is `<its address>:<port>` (metrics.ts).
     * @default - none: the canary's metric checks are off, and its judgement says so
     */
    readonly prometheus?: { readonly url: string; readonly nodeExporterPort: number };
}

/** The hosts target's own keys; it shares appPort, sshUser, sshPrivateKey, deployCommand, stopCommand, dbHost and dbPortRemote with AWS. */
export const hostsKeys = ["hosts", "knownHosts", "haproxyHost", "haproxySocket", "haproxyLogFile", "sshTimeoutSeconds", "commandTimeoutSeconds", "healthPollIntervalMs", "prometheusUrl", "nodeExporterPort"] as const;

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
    nodeExporterPort: { key: "nodeExporterPort", fallback: defaultNodeExporterPort, min: 1, max: 65535, meaning: "node_exporter's port on every host: a server's {instance} is <its host's address>:<port>" },
} as const satisfies Record<string, NumberKey>;

/**
 * The team's Prometheus' base URL (http or https, no user or password: a credential in the URL
 * would sit in the stack file in plain text; no query or fragment), without a trailing slash;
 * a message naming the key when it is not one.
 */
export function parsePrometheusUrl(text: string): { url: string } | { problem: string } {
    const key = `${namespace}:prometheusUrl`;
    const allowed = "the base URL of the team's Prometheus (its HTTP API, e.g. http://10.0.0.9:9090 or https://prometheus.example.org/prom), reachable from where `pulumi up` runs";
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
    const need = (key: string, pattern: RegExp, what: string): string => {
        const v = raw[key];
        if (!v) {
            problems.push(`${namespace}:${key}: required for the hosts target: ${what}`);
            return "";
        }
        if (!pattern.test(v)) {
            problems.push(`${namespace}:${key}: must be ${what}; got ${JSON.stringify(v)}`);
        }
        return v;
    };

    if (keyCheck === "now" && !isPrivateKeyText(raw.sshPrivateKey)) {
        problems.push(`${namespace}:sshPrivateKey: the hosts target needs the SSH private key of sshUser (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE`);
    }
    const logFile = raw.haproxyLogFile || undefined;
    if (logFile !== undefined && !/^\/[\x21-\x7e]{1,4095}$/.test(logFile)) {
        problems.push(`${namespace}:haproxyLogFile: must be the absolute path of HAProxy's request log on its host (no spaces), written with the log-format in docs/hosts.md; got ${JSON.stringify(logFile)}`);
    } else if (logFile === undefined && release.bakeSeconds > 0) {
        problems.push(`${namespace}:haproxyLogFile: required on the hosts target when bakeSeconds > 0 (the canary judge reads HAProxy's request log on its host over SSH): the absolute path of that log, written with the log-format in docs/hosts.md, e.g. /var/log/haproxy-requests.log; or set bakeSeconds to 0`);
    }

    const hosts: Record<string, HostAddress> = {};
    const listed = json("hosts", raw.hosts || undefined, problems) ?? [];
    if (!Array.isArray(listed) || !listed.every((e) => typeof e === "string")) {
        problems.push(`${namespace}:hosts: must be a list of "server=address" or "server=address:sshPort" entries; got ${raw.hosts}`);
    } else {
        for (const entry of listed as string[]) {
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
        if (missing.length > 0 && Array.isArray(listed)) {
            problems.push(`${namespace}:hosts: no host for ${missing.join(", ")}; every server needs "server=address"`);
        }
    }

    const haproxyText = need("haproxyHost", /\S/, "the address (or address:sshPort) of the host HAProxy runs on, e.g. 10.0.0.10");
    const haproxyAt = haproxyText ? parseHostAddress(haproxyText) : undefined;
    if (haproxyText && !haproxyAt) {
        problems.push(`${namespace}:haproxyHost: must be an address or address:sshPort, e.g. 10.0.0.10 or lb.example.org:2222; got ${JSON.stringify(haproxyText)}`);
    }
    const socket = raw.haproxySocket || "/run/haproxy/admin.sock";
    if (!/^\/[\x21-\x7e]{1,106}$/.test(socket)) {
        problems.push(`${namespace}:haproxySocket: must be the absolute path of HAProxy's admin socket on its host (a UNIX socket: "stats socket <path> level admin"); got ${JSON.stringify(socket)}`);
    }

    const knownRaw = json("knownHosts", raw.knownHosts || undefined, problems) ?? [];
    let knownHosts: string[] = [];
    if (!Array.isArray(knownRaw) || !knownRaw.every((e) => typeof e === "string") || knownRaw.length === 0) {
        problems.push(`${namespace}:knownHosts: must be a list of known_hosts lines ("address ssh-ed25519 AAAA..."), one for each host and the HAProxy host; got ${raw.knownHosts ?? "nothing"}`);
    } else {
        knownHosts = knownRaw as string[];
        try {
            const known = parseKnownHosts(knownHosts);
            const needed: [string, HostAddress][] = [...Object.entries(hosts), ...(haproxyAt ? [["the HAProxy host", haproxyAt] as [string, HostAddress]] : [])];
            for (const [who, at] of needed) {
                if (keysFor(known, at.address, at.sshPort).filter((k) => !k.revoked).length === 0) {
                    problems.push(`${namespace}:knownHosts: no line for ${who} (${knownHostsName(at.address, at.sshPort)}); zdr never trusts a host on first use: add its line (ssh-keyscan${at.sshPort === 22 ? "" : ` -p ${at.sshPort}`} ${at.address}) after checking its fingerprint on the host`);
                }
            }
        } catch (e) {
            problems.push(`${namespace}:knownHosts: ${(e as Error).message}`);
        }
    }

    const deployCommand = need("deployCommand", /\{version\}/, "a shell command that installs and starts {version} on the host (and stops the version it replaces), e.g. sudo /opt/shop/deploy {version}");
    const stopCommand = need("stopCommand", /\S/, "a shell command that stops the app gracefully on the host, e.g. sudo systemctl stop shop");
    const db = raw.migrationsDir || raw.dbHost ? {
        host: need("dbHost", /^[A-Za-z0-9.-]+$/, "the PostgreSQL host the migrations run against (reachable from where `pulumi up` runs)"),
        port: readNumber(raw, sshTargetNumberKeys.dbPortRemote, problems),
    } : undefined;
    const appPort = readNumber(raw, sshTargetNumberKeys.appPort, problems);
    const sshTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.sshTimeoutSeconds, problems);
    const commandTimeoutSeconds = readNumber(raw, sshTargetNumberKeys.commandTimeoutSeconds, problems);
    const healthPollIntervalMs = readNumber(raw, sshTargetNumberKeys.healthPollIntervalMs, problems);
    const nodeExporterPort = readNumber(raw, hostsNumberKeys.nodeExporterPort, problems);
    const prometheusUrl = raw.prometheusUrl ? parsePrometheusUrl(raw.prometheusUrl) : undefined;
    if (prometheusUrl && "problem" in prometheusUrl) {
        problems.push(prometheusUrl.problem);
    }
    const sshUser = raw.sshUser || "ubuntu";
    if (!/^[a-z_][a-z0-9_.-]{0,31}$/.test(sshUser)) {
        problems.push(`${namespace}:sshUser: must be a user name (lower-case letters, digits, _ . -); got ${JSON.stringify(sshUser)}`);
    }
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
    keys: hostsKeys,
    numberKeys: [...Object.values(sshTargetNumberKeys), ...Object.values(hostsNumberKeys)],
    metricChecks: (settings, canaryMetrics) => (settings.hosts.prometheus ? { checks: canaryMetrics.checks, store: "prometheus" } : { off: noPrometheusUrl }),
    metricDefaults: hostsMetricChecks,
    usesSshKey: true,
    ownsDatabase: false,
    ownsLoadBalancer: false,
    dashboard: false,
    exampleStack: "Pulumi.hosts.yaml",
    membershipTypes: [memberType],
    fleetStatus: async () => (await import("../../src/status/haproxy")).haproxyFleetStatus,
    parse: (raw, release) => ({ kind: "hosts", hosts: parseHostsConfig(raw, release) }),
};
