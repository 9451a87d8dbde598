import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, startArgv } from "../src/release/app-config";
import type { ServerPlan } from "../src/release/plan";
import type { JudgementArgs } from "../resources/judgement";
import { HaproxyMember } from "../resources/member";
import { Process } from "../resources/process";
import type { Environment, FleetTarget, Membership } from "./fleet";

const root = path.resolve(__dirname, "..");

export interface LocalEnvironmentArgs {
    /** The application: its name is HAProxy's backend; its database and user are created. */
    readonly app: AppConfig;
    /** Server names in release order. */
    readonly servers: readonly string[];
    /** Folder for data, sockets and logs. */
    readonly dir: string;
    /** The load balancer listens on 127.0.0.1:lbPort. */
    readonly lbPort: number;
    /** Server i (from 0) listens on 127.0.0.1:(appBasePort + i). */
    readonly appBasePort: number;
    readonly dbPort: number;
    readonly healthCheckIntervalMs: number;
    /** The database password; pass a Pulumi secret. */
    readonly dbPassword: pulumi.Input<string>;
}

/** HAProxy's configuration for the local default; servers start in maintenance until a member reattaches them. */
export function haproxyConfig(args: LocalEnvironmentArgs, socket: string): string {
    const servers = args.servers.map(
        (s, i) => `    server ${s} 127.0.0.1:${args.appBasePort + i} check disabled`,
    );
    return [
        "global",
        `    stats socket ${socket} mode 600 level admin`,
        "    stats timeout 10s",
        // Without SO_REUSEPORT a second HAProxy on the same port fails to start instead of
        // silently sharing the port (and the traffic) with this one.
        "    noreuseport",
        // One line per request on stdout (the process's log file): the canary judge's evidence.
        "    log stdout format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        "    timeout connect 2s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout queue 10s",
        // One request per server connection: a server that stops never leaves HAProxy a stale one.
        "    option http-server-close",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure empty-response",
        "frontend web",
        `    bind 127.0.0.1:${args.lbPort}`,
        "    capture response header x-error len 120",
        // epoch ms, server, status, server response time (ms), {x-error}
        '    log-format "%Ts%ms %s %ST %Tr %hs"',
        `    default_backend ${args.app.name}`,
        `backend ${args.app.name}`,
        "    balance roundrobin",
        `    option httpchk GET ${args.app.healthCheckPath}`,
        "    http-check expect status 200",
        `    default-server inter ${args.healthCheckIntervalMs} fall 2 rise 2`,
        ...servers,
        "",
    ].join("\n");
}

/**
 * The local default's infrastructure on loopback: PostgreSQL with the app's database and user,
 * and HAProxy in front of the app servers.
 */
export class LocalEnvironment extends pulumi.ComponentResource implements Environment {
    readonly runtimeApi: string;
    readonly lbUrl: pulumi.Output<string>;
    readonly database: Process;
    readonly connection: { host: string; port: number; user: string; database: string; password: pulumi.Output<string> };
    readonly loadBalancer: Process;

    constructor(name: string, readonly args: LocalEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:local:Environment", name, {}, opts);
        this.runtimeApi = path.join(args.dir, "haproxy.sock");
        if (this.runtimeApi.length > 100) {
            throw new Error(`the HAProxy socket path ${this.runtimeApi} is longer than a unix socket allows; move the project to a shorter path`);
        }
        this.lbUrl = pulumi.output(`http://127.0.0.1:${args.lbPort}`);
        this.connection = { host: "127.0.0.1", port: args.dbPort, user: args.app.db.user, database: args.app.db.name, password: pulumi.secret(args.dbPassword) };

        this.database = new Process(`${name}-postgres`, {
            command: [path.join(root, "scripts/local/postgres"), path.join(args.dir, "pgdata"), String(args.dbPort)],
            env: { ZDR_DB_PASSWORD: this.connection.password, ZDR_DB_USER: args.app.db.user, ZDR_DB_NAME: args.app.db.name },
            logFile: path.join(args.dir, "postgres.log"),
            readyTcp: `127.0.0.1:${args.dbPort}`,
            stopSignal: "SIGINT",
            stopTimeoutMs: 10000,
        }, { parent: this, additionalSecretOutputs: ["env"] });

        const configFile = path.join(args.dir, "haproxy.cfg");
        this.loadBalancer = new Process(`${name}-haproxy`, {
            command: ["haproxy", "-db", "-f", configFile],
            files: { [configFile]: haproxyConfig(args, this.runtimeApi) },
            logFile: path.join(args.dir, "haproxy.log"),
            readyTcp: `127.0.0.1:${args.lbPort}`,
            stopTimeoutMs: 5000,
        }, { parent: this, deleteBeforeReplace: true }); // the new one needs the port
        this.registerOutputs({ lbUrl: this.lbUrl });
    }

    /** HAProxy's request log holds every server's requests. */
    canaryEvidence(): Pick<JudgementArgs, "requestLog"> {
        return { requestLog: path.join(this.args.dir, "haproxy.log") };
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

    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
        const env = this.args.environment;
        const app = env.args.app;
        const port = env.args.appBasePort + server.index;
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
                PGAPPNAME: `${app.name}-${server.version}`.slice(0, 63),
            },
            logFile: path.join(env.args.dir, "logs", `${server.name}.log`),
            label: `server ${server.name} (${server.version})`,
            healthUrl: `http://127.0.0.1:${port}${app.healthCheckPath}`,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            stopSignal: app.stopSignal,
            stopTimeoutMs: app.stopGraceSeconds * 1000,
            triggers: [server.version, epoch],
            events: { file: this.args.eventsFile, server: server.name },
        }, { ...opts, dependsOn: [...toArray(opts.dependsOn), env.database, env.loadBalancer], additionalSecretOutputs: ["env"] });
    }

    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): Membership {
        const resource = new HaproxyMember(name, {
            runtimeApi: this.args.environment.runtimeApi,
            backend: this.args.environment.args.app.name,
            server: server.name,
            version: server.version,
            drainTimeoutMs: this.args.drainTimeoutSeconds * 1000,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            events: { file: this.args.eventsFile, server: server.name },
            epoch,
        }, opts);
        return { resource, inLoadBalancer: resource.inLoadBalancer };
    }
}

function toArray(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) {
        return [];
    }
    return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
