import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ServerPlan } from "../src/release/plan";
import { HaproxyMember } from "../resources/member";
import { Migration } from "../resources/migration";
import { Process } from "../resources/process";
import type { FleetTarget, Membership } from "./fleet";

const root = path.resolve(__dirname, "..");
/** The versions of the sample webshop (app/webshop/server.js). */
export const webshopVersions = ["v1", "v2", "v3", "broken", "faulty"] as const;
export const backendName = "webshop";

export interface LocalEnvironmentArgs {
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
        `    default_backend ${backendName}`,
        `backend ${backendName}`,
        "    balance roundrobin",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        `    default-server inter ${args.healthCheckIntervalMs} fall 2 rise 2`,
        ...servers,
        "",
    ].join("\n");
}

/**
 * The local default's infrastructure on loopback: PostgreSQL with the webshop's base schema,
 * and HAProxy in front of the app servers.
 */
export class LocalEnvironment extends pulumi.ComponentResource {
    readonly runtimeApi: string;
    readonly lbUrl: string;
    readonly database: Migration;
    readonly connection: { host: string; user: string; database: string; password: pulumi.Input<string> };
    readonly loadBalancer: Process;

    constructor(name: string, readonly args: LocalEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:local:Environment", name, {}, opts);
        this.runtimeApi = path.join(args.dir, "haproxy.sock");
        if (this.runtimeApi.length > 100) {
            throw new Error(`the HAProxy socket path ${this.runtimeApi} is longer than a unix socket allows; move the project to a shorter path`);
        }
        this.lbUrl = `http://127.0.0.1:${args.lbPort}`;
        this.connection = { host: "127.0.0.1", user: "zdr", database: "postgres", password: pulumi.secret(args.dbPassword) };

        const postgres = new Process(`${name}-postgres`, {
            command: [path.join(root, "scripts/local/postgres"), path.join(args.dir, "pgdata"), String(args.dbPort)],
            env: { ZDR_DB_PASSWORD: this.connection.password },
            logFile: path.join(args.dir, "postgres.log"),
            readyTcp: `127.0.0.1:${args.dbPort}`,
            stopSignal: "SIGINT",
            stopTimeoutMs: 10000,
        }, { parent: this, additionalSecretOutputs: ["env"] });
        this.database = new Migration(`${name}-schema`, {
            connection: { ...this.connection, port: args.dbPort },
            name: "v1",
            sql: fs.readFileSync(path.join(root, "app/webshop/migrations/v1.sql"), "utf8"),
        }, { parent: this, dependsOn: [postgres], additionalSecretOutputs: ["connection"] });

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
}

export interface LocalTargetArgs {
    readonly environment: LocalEnvironment;
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
        const port = env.args.appBasePort + server.index;
        return new Process(name, {
            command: ["node", path.join(root, "app/webshop/server.js")],
            env: {
                PORT: String(port),
                APP_VERSION: server.version,
                PGHOST: env.connection.host,
                PGPORT: String(env.args.dbPort),
                PGUSER: env.connection.user,
                PGDATABASE: env.connection.database,
                PGPASSWORD: env.connection.password,
            },
            logFile: path.join(env.args.dir, "logs", `${server.name}.log`),
            label: `server ${server.name} (${server.version})`,
            healthUrl: `http://127.0.0.1:${port}/health`,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            stopTimeoutMs: this.args.drainTimeoutSeconds * 1000,
            triggers: [server.version, epoch],
            events: { file: this.args.eventsFile, server: server.name },
        }, { ...opts, dependsOn: [...toArray(opts.dependsOn), env.database, env.loadBalancer], additionalSecretOutputs: ["env"] });
    }

    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): Membership {
        const resource = new HaproxyMember(name, {
            runtimeApi: this.args.environment.runtimeApi,
            backend: backendName,
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
