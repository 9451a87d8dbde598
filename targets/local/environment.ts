import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { applicationName } from "../../src/migrations/statement-log";
import { packageRoot } from "../../src/package-root";
import { AppConfig, startArgv } from "../../src/release/app-config";
import type { ServerPlan } from "../../src/release/plan";
import type { JudgementArgs } from "../../resources/judgement";
import { HaproxyLoadBalancer } from "../../resources/load-balancer";
import { HaproxyMember } from "../../resources/member";
import { HaproxyServer } from "../../resources/server";
import { lbDefaults, type LbSettings } from "./lb-config";
import { freshTargetsDir, type LocalMonitoring, localMonitoring, prometheusArgv, prometheusConfig, serverInstance, serverTargetsDir, targetDirs, watchFile } from "../../src/monitors/prometheus-config";
import type { MetricCheckConfig } from "../../src/monitors/config";
import { freshServerName, processType } from "../../contract/tokens";
import { Process } from "../../resources/process";
import { ScrapeTarget } from "../../resources/scrape-target";
import type { MemberHooks } from "../../contract/member";
import type { ArgsOf } from "../../resources/args";
import { type Environment, type FleetTarget, type Membership, memberHooks } from "../../components/fleet";

const root = packageRoot;

export interface LocalEnvironmentArgs {
    /** The application: its name is HAProxy's backend; its database and user are created. */
    readonly app: AppConfig;
    /** Server names in release order. */
    readonly servers: readonly string[];
    /** Folder for data, sockets and logs. */
    readonly dir: string;
    /** The load balancer listens on 127.0.0.1:lbPort. */
    readonly lbPort: number;
    /** Server i (from 0) listens on 127.0.0.1:(appBasePort + i), unless `ports` says otherwise. */
    readonly appBasePort: number;
    /**
     * Each server's port (planPorts, targets/local/ports.ts: a server keeps its port for its
     * lifetime). @default - server i listens on appBasePort + i
     */
    readonly ports?: Readonly<Record<string, number>>;
    readonly dbPort: number;
    readonly healthCheckIntervalMs: number;
    /** The database password; pass a Pulumi secret. */
    readonly dbPassword: pulumi.Input<string>;
    /** Health-check rise and fall, HAProxy's timeouts. @default lbDefaults (targets/local/lb-config.ts) */
    readonly loadBalancer?: LbSettings;
    /**
     * The stack's Prometheus listens on 127.0.0.1:prometheusPort, HAProxy's exporter and the
     * servers' process exporter on the next two ports (src/monitors/prometheus-config.ts); the
     * canary's metric checks read it. The stack config always sets it (zdr:prometheusPort, 9090).
     * @default - no Prometheus: the metric checks have nothing to read and say so (undecided)
     */
    readonly prometheusPort?: number;
    /** The canary's metric checks, written beside Prometheus' configuration for `zdr watch`. @default - none */
    readonly metricChecks?: readonly MetricCheckConfig[];
    /** Where the app's start command runs (a canary's fresh baseline is started there). @default - the program's folder */
    readonly projectDir?: string;
}

/** Where HAProxy's files are: its admin socket and its server-state-file. */
export interface HaproxyPaths {
    readonly runtimeApi: string;
    readonly stateFile: string;
}

/** The health-check settings of every server (`add server` takes nothing from `default-server`). */
export function checkSettings(args: Pick<LocalEnvironmentArgs, "healthCheckIntervalMs" | "loadBalancer">): string[] {
    const lb = args.loadBalancer ?? lbDefaults;
    return ["inter", String(args.healthCheckIntervalMs), "fall", String(lb.healthCheckFall), "rise", String(lb.healthCheckRise)];
}

/**
 * HAProxy's configuration for the local default, without servers: zdr:haproxy:Server adds each
 * at run time (in maintenance until a membership reattaches it), and the load balancer's reload
 * writes the servers HAProxy has into the file, their states into the server-state-file.
 */
export function haproxyConfig(args: LocalEnvironmentArgs, paths: HaproxyPaths): string {
    const lb = args.loadBalancer ?? lbDefaults;
    return [
        "global",
        `    stats socket ${paths.runtimeApi} mode 600 level admin`,
        "    stats timeout 10s",
        // Without SO_REUSEPORT a second HAProxy on the same port fails to start instead of
        // silently sharing the port (and the traffic) with this one. A reload does not need it:
        // in master-worker mode the master hands the listening sockets to the new worker.
        "    noreuseport",
        // A reload carries every server's state (maintenance, drain, UP) over in this file.
        `    server-state-file ${paths.stateFile}`,
        // An old worker finishes its requests after a reload, but not for ever.
        `    hard-stop-after ${lb.requestTimeoutSeconds * 2}s`,
        // One line per request on stdout (the process's log file): the canary judge's evidence.
        "    log stdout format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        `    timeout connect ${lb.connectTimeoutMs}ms`,
        `    timeout client ${lb.requestTimeoutSeconds}s`,
        `    timeout server ${lb.requestTimeoutSeconds}s`,
        `    timeout queue ${lb.queueTimeoutSeconds}s`,
        "    load-server-state-from-file global",
        // During a reload the old worker answers the next request on a client's idle keep-alive
        // connection (with "Connection: close") instead of closing it under the client's feet.
        "    option idle-close-on-response",
        // One request per server connection: a server that stops never leaves HAProxy a stale one.
        "    option http-server-close",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "frontend web",
        `    bind 127.0.0.1:${args.lbPort}`,
        "    capture response header x-error len 120",
        // epoch ms, server, status, server response time (ms), total time (ms), method, path, {x-error}
        '    log-format "%Ts%ms %s %ST %Tr %Tt %HM %HPO %hs"',
        `    default_backend ${args.app.name}`,
        ...(args.prometheusPort !== undefined ? haproxyMetricsFrontend(localMonitoring(args.prometheusPort).haproxyMetricsPort) : []),
        `backend ${args.app.name}`,
        "    balance roundrobin",
        `    option httpchk GET ${args.app.healthCheckPath}`,
        "    http-check expect status 200",
        // For the servers a reload writes into the file; `add server` gets checkSettings.
        `    default-server inter ${args.healthCheckIntervalMs} fall ${lb.healthCheckFall} rise ${lb.healthCheckRise}`,
        "",
    ].join("\n");
}

/** HAProxy's built-in Prometheus exporter on its own loopback port, out of the request log the judge reads. */
function haproxyMetricsFrontend(port: number): string[] {
    return ["frontend metrics", `    bind 127.0.0.1:${port}`, "    no log", "    http-request use-service prometheus-exporter if { path /metrics }", "    http-request return status 404"];
}

/** The first line of `haproxy -v`: a new binary restarts HAProxy (docs/release-graph.md). */
export function installedHaproxyVersion(): string {
    try {
        return execFileSync("haproxy", ["-v"], { encoding: "utf8", timeout: 10000 }).split("\n")[0].trim();
    } catch {
        return "unknown";
    }
}

/** A server's stdout and stderr on the local default. */
export const appLogFile = (dir: string, server: string) => path.join(dir, "logs", `${server}.log`);

/**
 * The local default's infrastructure on loopback: PostgreSQL with the app's database and user,
 * and HAProxy in front of the app servers.
 */
export class LocalEnvironment extends pulumi.ComponentResource implements Environment {
    readonly runtimeApi: string;
    readonly lbUrl: pulumi.Output<string>;
    readonly database: Process;
    readonly connection: { host: string; port: number; user: string; database: string; password: pulumi.Output<string> };
    readonly loadBalancer: HaproxyLoadBalancer;
    readonly statementLog: string;
    /** The stack's Prometheus and what it scrapes; undefined without prometheusPort. */
    readonly monitoring?: { readonly prometheus: Process; readonly processMetrics: Process; readonly ports: Readonly<Record<string, number>> } & LocalMonitoring;

    constructor(name: string, readonly args: LocalEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:local:Environment", name, {}, opts);
        this.runtimeApi = path.join(args.dir, "haproxy.sock");
        if (this.runtimeApi.length > 100) {
            throw new Error(`the HAProxy socket path ${this.runtimeApi} is longer than a unix socket allows; move the project to a shorter path`);
        }
        this.lbUrl = pulumi.output(`http://127.0.0.1:${args.lbPort}`);
        this.connection = { host: "127.0.0.1", port: args.dbPort, user: args.app.db.user, database: args.app.db.name, password: pulumi.secret(args.dbPassword) };

        // scripts/local/postgres keeps the data elsewhere when the postgres user cannot enter dir
        const pgdata = path.join(args.dir, "pgdata");
        const elsewhere = path.join(pgdata, "zdr-data-elsewhere");
        this.statementLog = path.join(fs.existsSync(elsewhere) ? fs.readFileSync(elsewhere, "utf8").trim() : pgdata, "log/postgresql.json");
        this.database = new Process(`${name}-postgres`, {
            command: [path.join(root, "scripts/local/postgres"), path.join(args.dir, "pgdata"), String(args.dbPort)],
            env: { ZDR_DB_PASSWORD: this.connection.password, ZDR_DB_USER: args.app.db.user, ZDR_DB_NAME: args.app.db.name },
            logFile: path.join(args.dir, "postgres.log"),
            readyTcp: `127.0.0.1:${args.dbPort}`,
            stopSignal: "SIGINT",
            stopTimeoutMs: 10000,
        }, { parent: this, additionalSecretOutputs: ["env"] });

        const paths = { runtimeApi: this.runtimeApi, stateFile: path.join(args.dir, "haproxy.state") };
        this.loadBalancer = new HaproxyLoadBalancer(`${name}-haproxy`, {
            config: haproxyConfig(args, paths),
            configFile: path.join(args.dir, "haproxy.cfg"),
            backend: args.app.name,
            masterSocket: path.join(args.dir, "haproxy-master.sock"),
            ...paths,
            logFile: path.join(args.dir, "haproxy.log"),
            readyTcp: `127.0.0.1:${args.lbPort}`,
            version: installedHaproxyVersion(),
            stopTimeoutMs: 5000,
            // the new one needs the port; a stack from before zdr:haproxy:LoadBalancer replaces its HAProxy process
        }, { parent: this, deleteBeforeReplace: true, aliases: [{ type: processType }] });
        if (args.prometheusPort !== undefined) {
            this.monitoring = this.startMonitoring(name, args.prometheusPort);
        }
        this.registerOutputs({ lbUrl: this.lbUrl });
    }

    /**
     * Prometheus and the servers' process exporter, each a zdr:local:Process (started and stopped
     * with the stack, like PostgreSQL and HAProxy); their files under <dir>/prometheus. Neither
     * names a server: both read the servers from the target files each server's
     * zdr:local:ScrapeTarget writes (LocalTarget.scrapeTarget), so a fleet change restarts neither.
     */
    private startMonitoring(name: string, prometheusPort: number): NonNullable<LocalEnvironment["monitoring"]> {
        const args = this.args;
        const m = localMonitoring(prometheusPort);
        const folder = path.join(args.dir, "prometheus");
        const ports = Object.fromEntries(args.servers.map((s, i) => [s, args.ports?.[s] ?? args.appBasePort + i]));
        // the folders exist before either starts: Prometheus watches them (a file written there is
        // scraped at once, not at the next 5 s refresh)
        const readme = (what: string) => `Prometheus file_sd targets of ${what} (src/monitors/prometheus-config.ts).\n`;
        const folders = {
            [path.join(serverTargetsDir(args.dir), "README")]: readme("the stack's servers, one file per server written and removed by its zdr:local:ScrapeTarget"),
            [path.join(freshTargetsDir(args.dir), "README")]: readme("canaries' fresh baselines, written and removed by their judgements"),
        };
        const processMetrics = new Process(`${name}-process-metrics`, {
            command: ["node", path.join(root, "scripts/local/process-metrics.js"), `127.0.0.1:${m.processMetricsPort}`, ...targetDirs(args.dir)],
            files: folders,
            logFile: path.join(args.dir, "process-metrics.log"),
            label: "the servers' process exporter",
            readyTcp: `127.0.0.1:${m.processMetricsPort}`,
            stopTimeoutMs: 5000,
        }, { parent: this, deleteBeforeReplace: true });
        const prometheus = new Process(`${name}-prometheus`, {
            command: prometheusArgv(m, args.dir),
            files: {
                [path.join(folder, "prometheus.yml")]: prometheusConfig(m, targetDirs(args.dir), args.app.metricsPath),
                ...folders,
                // what `zdr watch` reads to show and judge the metric checks as the judgement does
                [watchFile(args.dir)]: `${JSON.stringify({ url: m.prometheusUrl, checks: args.metricChecks ?? [] })}\n`,
            },
            logFile: path.join(args.dir, "prometheus.log"),
            label: "Prometheus",
            healthUrl: `${m.prometheusUrl}/-/ready`,
            healthTimeoutMs: 60000,
            stopTimeoutMs: 15000,
        }, { parent: this, deleteBeforeReplace: true });
        return { ...m, prometheus, processMetrics, ports };
    }

    /**
     * HAProxy's request log holds every server's requests, each server's log its own lines; a
     * failing canary is set to MAINT in HAProxy; and the canary gets a fresh baseline, the stable
     * version started beside it for its bake (provider/canary/fresh-baseline.ts).
     */
    canaryEvidence(canary: string, baseline: readonly string[], versions?: Readonly<Record<string, string>>): Pick<JudgementArgs, "requestLog" | "appLogs" | "leaveOutOnFail" | "freshBaseline" | "prometheus"> {
        const app = this.args.app;
        const stable = baseline.length > 0 ? versions?.[baseline[0]] : undefined;
        const m = this.monitoring;
        return {
            requestLog: path.join(this.args.dir, "haproxy.log"),
            appLogs: Object.fromEntries([canary, ...baseline].map((s) => [s, appLogFile(this.args.dir, s)])),
            leaveOutOnFail: { runtimeApi: this.runtimeApi, backend: app.name },
            // the metric checks read the stack's Prometheus; `{instance}` is a server's own endpoint;
            // a fresh baseline is scraped once the judgement writes its target into freshTargets
            ...(m ? { prometheus: { url: m.prometheusUrl, instances: Object.fromEntries([canary, ...baseline].filter((s) => m.ports[s] !== undefined).map((s) => [s, serverInstance(m.ports[s])])), freshTargets: freshTargetsDir(this.args.dir) } } : {}),
            ...(stable
                ? {
                      freshBaseline: {
                          startCommand: [...app.startCommand],
                          version: stable,
                          cwd: this.args.projectDir ?? process.cwd(),
                          env: pulumi.secret(this.connection.password.apply((password) => ({
                              PGHOST: this.connection.host,
                              PGPORT: String(this.connection.port),
                              PGUSER: this.connection.user,
                              PGDATABASE: this.connection.database,
                              PGPASSWORD: password,
                              PGAPPNAME: applicationName(stable).slice(0, 63),
                          }))),
                          healthCheckPath: app.healthCheckPath,
                          logFile: appLogFile(this.args.dir, freshServerName(canary)),
                          runtimeApi: this.runtimeApi,
                          backend: app.name,
                          check: checkSettings(this.args),
                          stopSignal: app.stopSignal,
                          stopTimeoutMs: app.stopGraceSeconds * 1000,
                      },
                  }
                : {}),
        };
    }
}

export interface LocalTargetArgs {
    readonly environment: LocalEnvironment;
    /** Where the app's start command runs (the project folder). */
    readonly projectDir: string;
    readonly drainTimeoutSeconds: number;
    readonly healthTimeoutSeconds: number;
    /** JSON-lines file for drain, deploy and reattach events. */
    readonly eventsFile: string;
}

/** App servers as local processes, members of the local HAProxy. */
export class LocalTarget implements FleetTarget {
    constructor(private readonly args: LocalTargetArgs) {}

    /** The server's port on 127.0.0.1. */
    port(server: ServerPlan): number {
        const env = this.args.environment.args;
        return env.ports?.[server.name] ?? env.appBasePort + server.index;
    }

    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): Process {
        const env = this.args.environment;
        const app = env.args.app;
        const port = this.port(server);
        return new Process(name, {
            command: startArgv(app.startCommand, server.version, port),
            cwd: this.args.projectDir,
            env: {
                PORT: String(port),
                APP_VERSION: server.version,
                PGHOST: env.connection.host,
                PGPORT: String(env.connection.port),
                PGUSER: env.connection.user,
                PGDATABASE: env.connection.database,
                PGPASSWORD: env.connection.password,
                // PostgreSQL's log can tell the versions' statements apart (the schema guard reads it)
                PGAPPNAME: applicationName(server.version).slice(0, 63),
            },
            logFile: appLogFile(env.args.dir, server.name),
            label: `server ${server.name} (${server.version})`,
            healthUrl: `http://127.0.0.1:${port}${app.healthCheckPath}`,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            stopSignal: app.stopSignal,
            stopTimeoutMs: app.stopGraceSeconds * 1000,
            triggers: [server.version, epoch],
            events: { file: this.args.eventsFile, server: server.name },
            // the batch's check fails the up, once every server of the batch finished (components/fleet.ts)
            recordFailure: true,
            // Prometheus runs (and scrapes the server's target, components/fleet.ts) before the server starts:
            // a bake has its points from the first second
        }, { ...opts, dependsOn: [...toArray(opts.dependsOn), env.database, env.loadBalancer, ...(env.monitoring ? [env.monitoring.prometheus, env.monitoring.processMetrics] : [])], additionalSecretOutputs: ["env"] });
    }

    /** The server's target file in the stack's Prometheus, when it runs one. */
    scrapeTarget(name: string, server: ServerPlan, opts: pulumi.CustomResourceOptions): ScrapeTarget | undefined {
        const env = this.args.environment;
        if (!env.monitoring) {
            return undefined;
        }
        return new ScrapeTarget(name, { folder: serverTargetsDir(env.args.dir), server: server.name, address: serverInstance(this.port(server)) }, opts);
    }

    entry(name: string, server: ServerPlan, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
        const env = this.args.environment;
        return new HaproxyServer(name, {
            runtimeApi: env.runtimeApi,
            backend: env.args.app.name,
            server: server.name,
            address: `127.0.0.1:${this.port(server)}`,
            check: checkSettings(env.args),
            loadBalancer: env.loadBalancer.identity,
            removeTimeoutMs: this.args.drainTimeoutSeconds * 1000,
        }, opts);
    }

    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions, entry?: pulumi.CustomResource, deployFailure?: pulumi.Output<string | undefined>): Membership {
        const resource = new HaproxyMember(name, {
            runtimeApi: this.args.environment.runtimeApi,
            backend: this.args.environment.args.app.name,
            server: server.name,
            version: server.version,
            drainTimeoutMs: this.args.drainTimeoutSeconds * 1000,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            events: { file: this.args.eventsFile, server: server.name },
            epoch,
            loadBalancer: this.args.environment.loadBalancer.identity,
            entry: entry?.id,
            hooks: this.hooks(server),
            deployFailure,
        }, { ...opts, additionalSecretOutputs: ["hooks"] });
        return { resource, inLoadBalancer: resource.inLoadBalancer, failure: resource.failure, ...(this.hooks(server) ? { hookResults: resource.hookResults } : {}) };
    }

    /** The app's hooks for one server, run from the project folder; undefined when it has none. */
    private hooks(server: ServerPlan): ArgsOf<MemberHooks> | undefined {
        const env = this.args.environment.args;
        return memberHooks(env.app, server, this.port(server), { cwd: this.args.projectDir }, [env.dbPassword]);
    }
}

function toArray(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) {
        return [];
    }
    return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
