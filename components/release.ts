import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type Environment, Fleet, type Judged, type ServerState } from "./fleet";
import { Judgement } from "../resources/judgement";
import { Epoch } from "../resources/epoch";
import { Migration } from "../resources/migration";
import { MigrationFolderError, readMigrationFolder } from "../src/migrations/folder";
import { loadParser } from "../src/migrations/sql";
import { applicationName, loggedStatements, mergeStatements, readLogTail } from "../src/migrations/statement-log";
import { planBatches } from "../src/release/batches";
import { ConfigError, isPrivateKeyText } from "../src/release/config";
import { migrationsToApply, planRelease, type ReleasePlan, type ServerPlan } from "../src/release/plan";
import { type ReleaseSettings, stackConfigOf } from "../src/release/release-args";
import { type JudgementPlan, planJudgements, planLiveVersions, planMigrationChain } from "../src/release/release-plan";
import type { StackConfig } from "../src/release/stack-config";
import { mark } from "../src/profile";
import { prepareTarget } from "../targets/programs";
import { targetDefinition } from "../targets/registry";
import type { MetricChecksOf } from "../targets/target";
import { startProvider } from "../src/start-provider";
import { checkQueries } from "../src/monitors/promql-check";
import type { MetricCheckConfig } from "../src/monitors/config";

export interface ReleaseArgs extends ReleaseSettings {
    /** The database password (the local target's PostgreSQL, the migrations); pass a Pulumi secret. @default - none: no database */
    readonly dbPassword?: pulumi.Input<string>;
    /** The SSH private key the hosts and AWS targets log in with; pass a Pulumi secret. @default - none: required on those targets */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** Where relative paths (migrations, start command) are resolved and the start command runs. @default - the program's working folder */
    readonly projectDir?: string;
    /** Folder for the local target's data, sockets and logs, the events file and the canary reports. @default - <projectDir>/.zdr/local/<stack> */
    readonly stateDir?: string;
}

/**
 * Bad settings stop the program before any resource is registered, with a message and no stack
 * trace (pulumi.RunError); anything else is a bug and keeps its stack.
 */
export function validated<T>(parse: () => T): T {
    try {
        return parse();
    } catch (e) {
        if (e instanceof ConfigError || e instanceof MigrationFolderError) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
}

/**
 * One stage of a zero-downtime release of a fleet behind a load balancer: the target's
 * environment, the release epoch, the app's migrations (each checked by the schema guard against
 * every version live while it applies) and the fleet, whose canaries are judged against the
 * stable servers. Each stage is a change of its arguments and one `pulumi up`.
 *
 *   const release = new zdr.Release("hello", { servers: ["hello-1", "hello-2"], stableVersion: "1.0.0",
 *       releaseVersion: "1.1.0", canaryCount: 1, app: { name: "hello", startCommand: [...] },
 *       target: { kind: "local", lbPort: 8301 }, dbPassword: config.requireSecret("dbPassword") });
 *   export const servers = release.servers;
 *
 * Not a resource of its own: it registers what zdr's own program registered before it existed,
 * under the same names (the fleet is `name`; `release-epoch`, `migration-V<n>`, the environment
 * `local` or `aws`, the stack reference `last-up`), so a stack released before keeps its URNs.
 * One Release per stack: it reads what the servers run now from this stack's last `servers`
 * output, which the program must export (`export const servers = release.servers`).
 */
export class Release {
    /** Each server's name, version, load-balancer membership, canary verdict (and port, locally): export it as `servers`. */
    readonly servers: pulumi.Output<ServerState[]>;
    /** Every version that runs somewhere after this stage, sorted. */
    readonly liveVersions: readonly string[];
    /** The load balancer's URL. @default - none on the hosts target (the load balancer is the operator's) */
    readonly loadBalancerUrl?: pulumi.Output<string>;
    /** The CloudWatch dashboard (AWS target). */
    readonly dashboardUrl?: pulumi.Output<string>;
    /** Settles once every resource is registered; rejects with what stopped the registration (a RunError for bad settings). */
    readonly registered: Promise<void>;

    private readonly config: StackConfig;
    /** The canary's metric checks with these settings (its target's definition): the checks and where they are read, or why they are off. */
    private readonly metrics: MetricChecksOf | undefined;
    private readonly plan: ReleasePlan;
    private readonly projectDir: string;
    private readonly stateDir: string;

    /** Checks the settings and reads the migration folder at once (errors name the setting); registers the rest once this stack's last outputs are read. */
    constructor(private readonly name: string, private readonly args: ReleaseArgs) {
        this.projectDir = args.projectDir ?? process.cwd();
        this.stateDir = args.stateDir ?? path.join(this.projectDir, ".zdr/local", pulumi.getStack());
        const key = args.sshPrivateKey;
        this.config = validated(() => stackConfigOf(args, (p) => path.resolve(this.projectDir, p), {
            dbPassword: args.dbPassword !== undefined,
            sshPrivateKey: key === undefined ? "none" : typeof key === "string" ? { text: key } : "output",
        }));
        this.metrics = targetDefinition(this.config.target.kind)?.metricChecks(this.config.target, this.config.metrics);
        const metrics = this.metrics;
        if (metrics && "store" in metrics && metrics.store === "prometheus") {
            // the metric checks' queries, parsed by Prometheus' own parser (promtool), before anything changes
            validated(() => checkQueries(metrics.checks));
        }
        const { release, app } = this.config;
        this.plan = planRelease(release);
        this.liveVersions = this.plan.liveVersions;
        const plan = this.plan;
        const migrations = validated(() => (app.migrationsDir ? migrationsToApply(readMigrationFolder(app.migrationsDir), app.schemaVersions, plan) : []));
        const built = this.register(migrations);
        this.registered = built.then(() => undefined);
        // The outputs never reject: a failed registration is reported once, by `registered` (the
        // SDK reports it as an unhandled rejection when the program does not await it).
        const settled = built.catch(() => undefined);
        this.servers = pulumi.output(settled).apply((b) => b?.servers ?? []);
        const target = targetDefinition(this.config.target.kind);
        if (target?.ownsLoadBalancer) {
            this.loadBalancerUrl = pulumi.output(settled).apply((b) => b?.lbUrl as string);
        }
        if (target?.dashboard) {
            this.dashboardUrl = pulumi.output(settled).apply((b) => b?.dashboardUrl as string);
        }
    }

    private async register(migrations: ReturnType<typeof readMigrationFolder>): Promise<{ servers: pulumi.Output<ServerState[]>; lbUrl?: pulumi.Output<string>; dashboardUrl?: pulumi.Output<string> }> {
        const { release, app, target } = this.config;
        const plan = this.plan;
        // What the servers run now: this stack's last outputs, read once the stack resource itself is
        // registered and before anything else is, so that the read never meets the engine writing
        // this update's checkpoint (a first up failed on exactly that: "failed to load checkpoint: EOF").
        const stackResource = pulumi.runtime.getStackResource();
        if (stackResource) {
            await new Promise((registered) => stackResource.urn.apply(registered));
        }
        mark("program", "stack registered");
        const lastUp = new pulumi.StackReference("last-up", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
        const lastServers = (await lastUp.getOutputDetails("servers")).value as { version: string }[] | undefined;
        const running = (lastServers ?? []).map((s) => s.version);
        mark("program", "last-up read");
        const keyChecked = this.sshKeyChecked();
        // in an `up` every value is known: the key's form is checked before anything changes; in a
        // preview a key made by a resource of this update is not known yet, so it is not awaited
        // (a known key that is no key still fails the preview, as an unhandled RunError)
        if (!pulumi.runtime.isDryRun()) {
            await keyChecked;
        }
        const sshPrivateKey = () => {
            if (this.args.sshPrivateKey === undefined) {
                throw new pulumi.RunError(`the ${target.kind} target logs in over SSH: pass sshPrivateKey (a Pulumi secret)`);
            }
            return this.args.sshPrivateKey;
        };
        // a ConfigError of the target's plan (the local default's ports) is the settings' error
        const build = await prepareTarget(target, { release, app, plan, metricChecks: this.config.metrics.checks, lastServers, projectDir: this.projectDir, stateDir: this.stateDir, dbPassword: this.args.dbPassword, sshPrivateKey })
            .catch((e: unknown) => validated(() => { throw e; }));
        // the engine starts zdr's provider while the program builds: after the read above and the
        // last check of the settings (src/start-provider.ts says why)
        void startProvider();

        const { env, fleetTarget, dashboardUrl } = build();

        // What each live version runs: its query file, plus what PostgreSQL's log saw it run.
        const queries = (version: string) => {
            const file = app.queriesDir && path.join(app.queriesDir, `${version}.sql`);
            return file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        };
        await loadParser();
        mark("program", "parser loaded");
        const log = env.statementLog ? readLogTail(env.statementLog) : "";
        const live = planLiveVersions(plan, release, running, (v) => mergeStatements(queries(v), log ? loggedStatements(log, applicationName(v)) : []));
        mark("program", "statement log read");
        // Staged: never replaced. All at once: replaced first, which drains and stops every server
        // before the migrations below (they depend on it) run. See components/fleet.ts.
        const epoch = new Epoch("release-epoch", { mode: release.releaseMode, release: release.releaseVersion });
        let previous: pulumi.Resource | undefined = env.database;
        const connection = env.connection;
        for (const step of planMigrationChain(migrations, live, release.releaseMode)) {
            if (!connection) {
                throw new Error("migrations to apply but no database connection: the settings require a dbPassword (and on hosts and AWS a database) with migrations");
            }
            const { name, ...inputs } = step;
            previous = new Migration(name, { connection, ...inputs }, { dependsOn: [...(previous ? [previous] : []), epoch], additionalSecretOutputs: ["connection"] });
        }

        const judgements = planJudgements(plan, release, this.config.canary, app, path.join(this.stateDir, "judgements"),
            // the metric checks read the stack's Prometheus (the local default runs one; on hosts the team's, when named), or the target's own store (CloudWatch on AWS)
            this.metricChecks());
        const fleet = new Fleet(this.name, {
            plan,
            batches: planBatches(plan, release.maxUnavailable),
            target: fleetTarget,
            epoch,
            dependsOn: previous ? [previous] : [],
            judge: (name, server, deploy, opts, notServing) => {
                const judgement = judgements.get(server.name);
                return judgement && this.judge(name, judgement, server, env, deploy, opts, notServing);
            },
        });
        mark("program", "registered");
        return { servers: fleet.servers, lbUrl: env.lbUrl, dashboardUrl };
    }

    /** The checks each canary's judgement reads: none when they are off (this.metrics). */
    private metricChecks(): readonly MetricCheckConfig[] {
        return this.metrics && "checks" in this.metrics ? this.metrics.checks : [];
    }

    /**
     * An SSH key given as an Output (or a promise) has its form checked once its value is known
     * (stackConfigOf checked a plain string, and that one is given): a RunError naming the setting,
     * never the key, when it is no private key.
     */
    private sshKeyChecked(): Promise<void> {
        const key = this.args.sshPrivateKey;
        if (!targetDefinition(this.config.target.kind)?.usesSshKey || key === undefined || typeof key === "string") {
            return Promise.resolve();
        }
        return new Promise((resolve, reject) => {
            pulumi.output(key).apply((text) => {
                if (isPrivateKeyText(text)) {
                    resolve();
                } else {
                    reject(new pulumi.RunError(`sshPrivateKey: the ${this.config.target.kind} target needs an SSH private key (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"); the one given is not one`));
                }
                return text;
            });
        });
    }

    /**
     * A canary's judgement after its reattach: what planJudgements decided, the evidence the target
     * offers, and the deploy it stands for. An inconclusive judgement lets the release go on, and says so.
     */
    private judge(name: string, judgement: JudgementPlan, server: ServerPlan, env: Environment, deploy: pulumi.CustomResource, opts: pulumi.CustomResourceOptions, notServing?: pulumi.Output<string | undefined>): Judged {
        const { metricChecks, ...plan } = judgement;
        const resource = new Judgement(name, {
            // why the metric checks are off (the hosts target without the team's Prometheus): the judgement says it
            ...(this.metrics && "off" in this.metrics ? { metricsOff: this.metrics.off } : {}),
            ...env.canaryEvidence(server.name, judgement.baseline, Object.fromEntries(this.plan.servers.map((s) => [s.name, s.version]))),
            ...plan,
            baseline: [...judgement.baseline],
            ...(metricChecks ? { metricChecks: [...metricChecks] } : {}),
            deployment: deploy.id,
            notServing,
        }, opts);
        return { resource, verdict: pulumi.all([resource.verdict, resource.outcome]).apply(([v, o]) => (o === "inconclusive" ? o : v)), failure: resource.failure };
    }
}
