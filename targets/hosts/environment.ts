import * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../../src/release/app-config";
import { hostCommand, type HostAddress, type HostsConfig } from "./config";
import type { SshTargetSettings } from "../ssh-keys";
import { nodeInstance } from "./metrics";
import type { ServerPlan } from "../../src/release/plan";
import type { JudgementArgs } from "../../resources/judgement";
import type { MemberHooks } from "../../contract/member";
import { HaproxyMember } from "../../resources/member";
import type { ArgsOf } from "../../resources/args";
import { HostsDeploy, type HostsDeployArgs } from "../../resources/hosts-deploy";
import { type Environment, type FleetTarget, type Membership, memberHooks } from "../../components/fleet";

export interface HostsEnvironmentArgs {
    readonly config: HostsConfig;
    /** The application: its name is HAProxy's backend on the HAProxy host. */
    readonly app: AppConfig;
    /** The database password; pass a Pulumi secret. @default - none: the app has no migrations (config.db unset) */
    readonly dbPassword?: pulumi.Input<string>;
    /** The SSH private key of config.sshUser; pass a Pulumi secret. */
    readonly sshPrivateKey: pulumi.Input<string>;
}

/**
 * A fleet of hosts reached over SSH: the app servers, and HAProxy on a host of its own with its
 * admin socket there (a UNIX socket, reached through SSH, never over the network). HAProxy is
 * the operator's: its configuration declares the backend `app.name` with one `server` per
 * server name; zdr only changes the servers' state through the runtime API. The database is
 * config.db (the migrations run from where `pulumi up` runs).
 */
export class HostsEnvironment implements Environment {
    readonly connection?: { host: string; port: number; user: string; database: string; password: pulumi.Output<string> };

    constructor(readonly args: HostsEnvironmentArgs) {
        const c = args.config;
        if (c.db && args.dbPassword !== undefined) {
            this.connection = { host: c.db.host, port: c.db.port, user: args.app.db.user, database: args.app.db.name, password: pulumi.secret(args.dbPassword) };
        }
    }

    /** How zdr logs in to a host; the private key stays a secret Output. */
    ssh(label: string, at: HostAddress): HostsDeployArgs["ssh"] {
        const c = this.args.config;
        return {
            host: at.address,
            port: at.sshPort,
            user: c.sshUser,
            privateKey: pulumi.secret(this.args.sshPrivateKey),
            knownHosts: [...c.knownHosts],
            label,
            connectTimeoutMs: c.sshTimeoutSeconds * 1000,
        };
    }

    /**
     * HAProxy's request log on its host, read over SSH, and each server's own log on its host (a
     * file or a journald unit, when the app says where: appLogFile, appLogUnit), over that
     * server's SSH connection; a failing canary is set to MAINT through the admin socket over SSH.
     * With the team's Prometheus (prometheusUrl), the metric checks read it, each server's
     * `{instance}` its host's node_exporter (metrics.ts).
     */
    canaryEvidence(canary: string, baseline: readonly string[], versions: Readonly<Record<string, string>> = {}): Pick<JudgementArgs, "remoteRequestLog" | "hostAppLogs" | "leaveOutOnFail" | "prometheus"> {
        const c = this.args.config;
        if (!c.haproxy.logFile) {
            return {};
        }
        const ssh = this.ssh("the HAProxy host", c.haproxy);
        const logs = this.args.app.logs;
        const prometheus = c.prometheus;
        const where = (server: string) => {
            const fill = (text: string) => hostCommand(text, server, versions[server] ?? "");
            return logs?.unit ? { unit: fill(logs.unit) } : { file: fill(logs?.file ?? "") };
        };
        return {
            remoteRequestLog: { ssh, file: c.haproxy.logFile },
            ...(logs?.file || logs?.unit ? { hostAppLogs: Object.fromEntries([canary, ...baseline].map((s) => [s, { ssh: this.ssh(s, c.hosts[s]), ...where(s) }])) } : {}),
            leaveOutOnFail: { runtimeApi: c.haproxy.socket, backend: this.args.app.name, ssh },
            ...(prometheus ? { prometheus: { url: prometheus.url, instances: Object.fromEntries([canary, ...baseline].map((s) => [s, nodeInstance(c.hosts[s].address, prometheus.nodeExporterPort)])) } } : {}),
        };
    }
}

// A server's deploy on a host of its own over SSH (zdr:hosts:Deploy), as this target and AWS both
// build it: the deploy and stop commands with {server} and {version} filled in, then a bounded
// health poll from the host itself. The targets differ only in how zdr logs in to the host, where
// the health poll asks (the host's address; 127.0.0.1 on an EC2 instance) and what redeploys it.
/** What a deploy over SSH reads of the settings the hosts and AWS targets share (targets/ssh-keys.ts). */
export type SshDeploySettings = Pick<SshTargetSettings, "deployCommand" | "stopCommand" | "commandTimeoutSeconds" | "appPort" | "healthPollIntervalMs">;

export interface SshDeployArgs {
    readonly settings: SshDeploySettings;
    readonly app: AppConfig;
    /** How zdr logs in to the server's host (the private key a secret Output). */
    readonly ssh: HostsDeployArgs["ssh"];
    /** Where the health poll, run on the host, asks: the host's own address. */
    readonly healthAddress: string;
    readonly healthTimeoutSeconds: number;
    /** What deploys the version again when it changes (the version and the release's epoch at least). */
    readonly triggers: HostsDeployArgs["triggers"];
    /** JSON-lines file on this machine for the deploy's events. @default - none */
    readonly eventsFile?: string;
}

export function sshDeploy(name: string, server: ServerPlan, a: SshDeployArgs, opts: pulumi.CustomResourceOptions): HostsDeploy {
    const s = a.settings;
    return new HostsDeploy(name, {
        ssh: a.ssh,
        server: server.name,
        version: server.version,
        deployCommand: hostCommand(s.deployCommand, server.name, server.version),
        stopCommand: hostCommand(s.stopCommand, server.name, server.version),
        commandTimeoutMs: s.commandTimeoutSeconds * 1000,
        health: {
            address: a.healthAddress,
            port: s.appPort,
            path: a.app.healthCheckPath,
            timeoutMs: a.healthTimeoutSeconds * 1000,
            intervalMs: s.healthPollIntervalMs,
        },
        ...(a.eventsFile ? { events: { file: a.eventsFile, server: server.name } } : {}),
        triggers: a.triggers,
    }, opts);
}

export interface HostsTargetArgs {
    readonly environment: HostsEnvironment;
    readonly drainTimeoutSeconds: number;
    readonly healthTimeoutSeconds: number;
    /** JSON-lines file on this machine for drain, deploy and reattach events. @default - none */
    readonly eventsFile?: string;
}

/** App servers on hosts reached over SSH, members of the HAProxy on the HAProxy host. */
export class HostsTarget implements FleetTarget {
    constructor(private readonly args: HostsTargetArgs) {}

    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): HostsDeploy {
        const env = this.args.environment;
        const at = env.args.config.hosts[server.name];
        return sshDeploy(name, server, {
            settings: env.args.config,
            app: env.args.app,
            ssh: env.ssh(server.name, at),
            healthAddress: at.address,
            healthTimeoutSeconds: this.args.healthTimeoutSeconds,
            ...(this.args.eventsFile ? { eventsFile: this.args.eventsFile } : {}),
            triggers: [server.version, epoch],
        }, opts);
    }

    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions, _entry?: pulumi.CustomResource, deployFailure?: pulumi.Output<string | undefined>): Membership {
        const env = this.args.environment;
        const c = env.args.config;
        const resource = new HaproxyMember(name, {
            runtimeApi: c.haproxy.socket,
            ssh: env.ssh("the HAProxy host", c.haproxy),
            backend: env.args.app.name,
            server: server.name,
            version: server.version,
            drainTimeoutMs: this.args.drainTimeoutSeconds * 1000,
            healthTimeoutMs: this.args.healthTimeoutSeconds * 1000,
            ...(this.args.eventsFile ? { events: { file: this.args.eventsFile, server: server.name } } : {}),
            epoch,
            hooks: this.hooks(server),
            deployFailure,
        }, { ...opts, additionalSecretOutputs: ["ssh", "hooks"] });
        return { resource, inLoadBalancer: resource.inLoadBalancer, failure: resource.failure, ...(this.hooks(server) ? { hookResults: resource.hookResults } : {}) };
    }

    /** The app's hooks for one server, run on its host over SSH; undefined when it has none. */
    private hooks(server: ServerPlan): ArgsOf<MemberHooks> | undefined {
        const env = this.args.environment;
        const ssh = env.ssh(server.name, env.args.config.hosts[server.name]);
        return memberHooks(env.args.app, server, env.args.config.appPort, { cwd: "", ssh }, [...(env.args.dbPassword !== undefined ? [env.args.dbPassword] : []), env.args.sshPrivateKey]);
    }
}
