// Wiring only: read and validate the stack config, plan the stage, build the components.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Environment, Fleet, FleetTarget } from "./components/fleet";
import { LocalEnvironment, LocalTarget } from "./components/local";
import { Judgement } from "./resources/judgement";
import { Epoch } from "./resources/epoch";
import { Migration } from "./resources/migration";
import { MigrationFile, MigrationFolderError, readMigrationFolder } from "./src/migrations/folder";
import { loadParser } from "./src/migrations/sql";
import { applicationName, loggedStatements, mergeStatements, readLogTail } from "./src/migrations/statement-log";
import { planBatches } from "./src/release/batches";
import { ConfigError, namespace } from "./src/release/config";
import { canaryBaseline, liveForCheck, migrationsToApply, planRelease, withRunning } from "./src/release/plan";
import { lastPorts, planPorts } from "./src/release/ports";
import { parseStackConfig, stackKeys } from "./src/release/stack-config";
import { mark, processStart } from "./src/profile";
import { startProvider } from "./src/start-provider";
import { checkQueries } from "./src/monitors/promql-check";
// which config values the stack holds as secrets (the language host passes their keys); not in the SDK's typings
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

mark("program", "process start", processStart());
mark("program", "loaded");

/** Bad config stops the program before any resource is registered, with a message and no stack trace. */
function validated<T>(parse: () => T): T {
    try {
        return parse();
    } catch (e) {
        if (e instanceof ConfigError || e instanceof MigrationFolderError) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
}

// Validated before the program's first resource (and at module load: an error here ends the
// run at once, with the message alone).
const config = new pulumi.Config(namespace);
const allConfig = pulumi.runtime.allConfig();
const raw = Object.fromEntries(stackKeys.map((k) => [k, allConfig[`${namespace}:${k}`]]));
const projectDir = process.cwd();
const { release, app, target, canary, metrics } = validated(() =>
    parseStackConfig(raw, {
        resolvePath: (p) => path.resolve(projectDir, p),
        envLbPort: process.env.ZDR_LB_PORT,
        keysSet: Object.keys(allConfig).filter((k) => k.startsWith(`${namespace}:`)).map((k) => k.slice(namespace.length + 1)),
        plainKeys: Object.keys(allConfig).filter((k) => k.startsWith(`${namespace}:`) && !isConfigSecret(k)).map((k) => k.slice(namespace.length + 1)),
    }),
);
// the metric checks' queries, parsed by Prometheus' own parser (promtool); the local default is
// the target with a Prometheus to read
if (target.kind === "local") {
    validated(() => checkQueries(metrics.checks));
}
const plan = planRelease(release);
const migrations: MigrationFile[] = validated(() =>
    app.migrationsDir ? migrationsToApply(readMigrationFolder(app.migrationsDir), app.schemaVersions, plan) : [],
);

export = async () => {
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
    // a server keeps its port: removing another one does not move (replace) it
    const ports = target.kind === "local" ? validated(() => planPorts(release.servers, lastPorts(lastServers), target.local)) : undefined;
    // the engine starts zdr's provider while the program builds: after the read above and the
    // last check of the config (src/start-provider.ts says why)
    void startProvider();

    const dir = path.join(projectDir, ".zdr/local", pulumi.getStack());
    // required (parseStackConfig) where a database is used: the local default's, or the migrations'
    const dbPassword = config.getSecret("dbPassword");
    let env: Environment;
    let fleetTarget: FleetTarget;
    let dashboardUrl: pulumi.Output<string> | undefined;
    if (target.kind === "aws") {
        // loaded only here: @pulumi/aws takes 0.2-0.5 s to load, which a local stage need not pay
        const { AwsEnvironment, AwsMonitors, AwsTarget } = await import("./components/aws");
        const aws = new AwsEnvironment("aws", { servers: release.servers, config: target.aws, app, dbPassword, healthCheckIntervalSeconds: Math.max(5, Math.round(release.healthCheckIntervalMs / 1000)) });
        fleetTarget = new AwsTarget({ environment: aws, sshPrivateKey: config.requireSecret("sshPrivateKey"), healthTimeoutSeconds: release.healthTimeoutSeconds });
        dashboardUrl = new AwsMonitors("monitors", { environment: aws, servers: plan.servers }).dashboardUrl;
        env = aws;
    } else if (target.kind === "hosts") {
        const { HostsEnvironment, HostsTarget } = await import("./components/hosts");
        const hosts = new HostsEnvironment({ config: target.hosts, app, dbPassword, sshPrivateKey: config.requireSecret("sshPrivateKey") });
        fleetTarget = new HostsTarget({ environment: hosts, drainTimeoutSeconds: release.drainTimeoutSeconds, healthTimeoutSeconds: release.healthTimeoutSeconds, eventsFile: path.join(dir, "events.jsonl") });
        env = hosts;
    } else {
        const local = new LocalEnvironment("local", { app, servers: release.servers, dir, ...target.local, ports, loadBalancer: target.loadBalancer, healthCheckIntervalMs: release.healthCheckIntervalMs, dbPassword: config.requireSecret("dbPassword"), projectDir, metricChecks: metrics.checks });
        fleetTarget = new LocalTarget({ environment: local, projectDir, drainTimeoutSeconds: release.drainTimeoutSeconds, healthTimeoutSeconds: release.healthTimeoutSeconds, eventsFile: path.join(dir, "events.jsonl") });
        env = local;
    }

    // Each migration the stage needs, in order. Each carries what the schema-compatibility policy
    // checks it against: the schema before it and the SQL of every version live while it applies.
    // What each live version runs: its query file, plus what PostgreSQL's log saw it run.
    const queries = (version: string) => {
        const file = app.queriesDir && path.join(app.queriesDir, `${version}.sql`);
        return file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    };
    await loadParser();
    mark("program", "parser loaded");
    const log = env.statementLog ? readLogTail(env.statementLog) : "";
    const live = withRunning(liveForCheck(plan, release), running, release).map((l) => ({
        ...l,
        sql: mergeStatements(queries(l.version), log ? loggedStatements(log, applicationName(l.version)) : []),
    }));
    mark("program", "statement log read");
    // Staged: never replaced. All at once: replaced first, which drains and stops every server
    // before the migrations below (they depend on it) run. See components/fleet.ts.
    const epoch = new Epoch("release-epoch", { mode: release.releaseMode, release: release.releaseVersion });
    let previous: pulumi.Resource | undefined = env.database;
    const connection = env.connection;
    for (const [i, file] of migrations.entries()) {
        if (!connection) {
            throw new Error("migrations to apply but no database connection: parseStackConfig requires dbHost and dbPassword with migrationsDir");
        }
        const earlier = migrations.slice(0, i);
        previous = new Migration(`migration-V${file.version}`, {
            connection,
            version: file.version,
            description: file.description,
            script: file.script,
            checksum: file.checksum,
            sql: file.sql,
            earlier: earlier.map(({ version, script, checksum }) => ({ version, script, checksum })),
            compatibility: { ...(earlier.length > 0 ? { schema: earlier.map((f) => f.sql).join("\n") } : {}), live, mode: release.releaseMode },
        }, { dependsOn: [...(previous ? [previous] : []), epoch], additionalSecretOutputs: ["connection"] });
    }

    const baseline = canaryBaseline(plan, release);
    const fleet = new Fleet(app.name, {
        plan,
        batches: planBatches(plan, release.maxUnavailable),
        target: fleetTarget,
        epoch,
        dependsOn: previous ? [previous] : [],
        judge: (name, server, deploy, opts, notServing) => {
            if (release.bakeSeconds === 0 || server.role !== "canary" || baseline.length === 0) {
                return undefined;
            }
            const resource = new Judgement(name, {
                ...env.canaryEvidence(server.name, baseline, Object.fromEntries(plan.servers.map((s) => [s.name, s.version]))),
                canary: server.name,
                version: server.version,
                deployment: deploy.id,
                baseline,
                bakeSeconds: release.bakeSeconds,
                judge: canary.judge,
                ...(target.kind === "local" ? { metricChecks: [...metrics.checks] } : {}),
                ...(app.logs?.errorPattern ? { appLogErrorPattern: app.logs.errorPattern } : {}),
                stopWhenInconclusive: canary.stopWhenInconclusive,
                keepServingOnFail: canary.keepServingOnFail,
                accepted: release.acceptVerdicts[server.name] === server.version,
                reportFile: path.join(dir, "judgements", `${server.name}-${server.version}.json`),
                notServing,
            }, opts);
            // an inconclusive judgement lets the release go on, and says so
            return { resource, verdict: pulumi.all([resource.verdict, resource.outcome]).apply(([v, o]) => (o === "inconclusive" ? o : v)), failure: resource.failure };
        },
    });

    mark("program", "registered");
    return {
        servers: fleet.servers,
        liveVersions: plan.liveVersions,
        loadBalancerUrl: env.lbUrl,
        ...(dashboardUrl ? { dashboardUrl } : {}),
    };
};
