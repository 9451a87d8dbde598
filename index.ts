// Wiring only: read and validate the stack config, plan the stage, build the components.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AwsEnvironment, AwsMonitors, AwsTarget } from "./components/aws";
import { Fleet, FleetTarget } from "./components/fleet";
import { LocalEnvironment, LocalTarget, webshopVersions } from "./components/local";
import { Judgement, JudgementArgs } from "./resources/judgement";
import { Epoch } from "./resources/epoch";
import { Migration } from "./resources/migration";
import { AwsConfig, awsKeys, parseAwsConfig } from "./src/release/aws-config";
import { ConfigError, knownKeys, namespace, parseLocalConfig, parseReleaseConfig } from "./src/release/config";
import { liveForCheck, planRelease, ServerPlan, withRunning } from "./src/release/plan";

/** Bad config stops the program before any resource is registered, with a message and no stack trace. */
function validated<T>(parse: () => T): T {
    try {
        return parse();
    } catch (e) {
        throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    }
}

const config = new pulumi.Config(namespace);
const raw = Object.fromEntries([...knownKeys, ...awsKeys].map((k) => [k, config.get(k)]));
const { release, target, local, awsConfig } = validated(() => {
    const known = new Set<string>([...knownKeys, ...awsKeys, "dbPassword", "sshPrivateKey"]);
    const unknown = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(`${namespace}:`) && !known.has(k.slice(namespace.length + 1)));
    if (unknown.length > 0) {
        throw new ConfigError(unknown.map((k) => `${k}: unknown key; the keys are ${[...known].sort().join(", ")}`));
    }
    const target = raw.target ?? "local";
    if (target !== "local" && target !== "aws") {
        throw new ConfigError([`${namespace}:target: must be "local" or "aws"; got ${JSON.stringify(raw.target)}`]);
    }
    const release = parseReleaseConfig(raw, webshopVersions);
    if (target === "aws") {
        const problems: string[] = [];
        const key = `${namespace}:sshPrivateKey`;
        // isConfigSecret is internal to @pulumi/pulumi (pinned at 3.248.0); it reads the secret keys the engine passes.
        const isSecret = (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key);
        if (!pulumi.runtime.allConfig()[key]) {
            problems.push(`${key}: required for the AWS target: the deploy user's SSH private key, as a secret (pulumi config set --secret sshPrivateKey < KEYFILE)`);
        } else if (!isSecret) {
            problems.push(`${key}: must be a secret, not plain text in the stack file: pulumi config set --secret sshPrivateKey < KEYFILE`);
        }
        if (release.bakeSeconds > 0 && release.bakeSeconds < 300) {
            problems.push(`${namespace}:bakeSeconds: must be 0 or at least 300 on the AWS target (the ALB delivers the access logs the judge reads every 5 minutes); got "${release.bakeSeconds}"`);
        }
        if (release.bakeSeconds > 0 && raw.targetGroupArn) {
            problems.push(`${namespace}:bakeSeconds: must be 0 with targetGroupArn: the judge reads the access logs of an ALB zdr creates`);
        }
        let awsConfig: AwsConfig | undefined;
        try {
            awsConfig = parseAwsConfig(raw, release.servers);
        } catch (e) {
            if (!(e instanceof ConfigError)) {
                throw e;
            }
            problems.push(...e.problems);
        }
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
        return { release, target, local: undefined, awsConfig };
    }
    return { release, target, local: parseLocalConfig(raw, release.servers.length, process.env.ZDR_LB_PORT), awsConfig: undefined };
});
const plan = planRelease(release);
const dir = path.join(__dirname, ".zdr/local", pulumi.getStack());
const dbPassword = config.requireSecret("dbPassword");

/** The target's environment: where the servers run, the load balancer, the database. */
function environment() {
    if (target === "aws") {
        const c = awsConfig as AwsConfig;
        const env = new AwsEnvironment("aws", { servers: release.servers, config: c, healthCheckIntervalSeconds: Math.max(5, Math.round(release.healthCheckIntervalMs / 1000)) });
        const fleetTarget: FleetTarget = new AwsTarget({ environment: env, sshPrivateKey: config.requireSecret("sshPrivateKey"), healthTimeoutSeconds: release.healthTimeoutSeconds });
        const monitors = new AwsMonitors("monitors", { environment: env, servers: plan.servers });
        const judgeWith = (server: ServerPlan, baseline: string[]) => ({
            albLogs: env.accessLogs && {
                ...env.accessLogs,
                region: c.region,
                targets: Object.fromEntries([server.name, ...baseline].map((s) => [s, pulumi.interpolate`${env.hosts[s].privateIp}:${c.appPort}`])),
            },
        });
        return {
            fleetTarget,
            judgeWith,
            connection: { ...c.db, password: dbPassword },
            database: undefined as pulumi.Resource | undefined,
            url: env.url as pulumi.Output<string> | undefined,
            dashboardUrl: monitors.dashboardUrl as pulumi.Output<string> | undefined,
        };
    }
    const ports = local as NonNullable<typeof local>;
    const env = new LocalEnvironment("local", { servers: release.servers, dir, ...ports, healthCheckIntervalMs: release.healthCheckIntervalMs, dbPassword });
    return {
        judgeWith: (() => ({ requestLog: path.join(dir, "haproxy.log") })) as (server: ServerPlan, baseline: string[]) => Pick<JudgementArgs, "requestLog" | "albLogs">,
        fleetTarget: new LocalTarget({ environment: env, drainTimeoutSeconds: release.drainTimeoutSeconds, healthTimeoutSeconds: release.healthTimeoutSeconds, eventsFile: path.join(dir, "events.jsonl") }) as FleetTarget,
        connection: { ...env.connection, port: ports.dbPort },
        database: env.database as pulumi.Resource | undefined,
        url: pulumi.output(env.lbUrl) as pulumi.Output<string> | undefined,
        dashboardUrl: undefined,
    };
}
const env = environment();

// Every release migration up to the newest live version that has one, in order (v1 is the
// base schema, applied by the environment). Each carries what the schema-compatibility policy
// checks it against: the schema before it and the SQL of every version live while it applies.
const app = path.join(__dirname, "app/webshop");
const readIfExists = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
const migrationSql = (v: string) => readIfExists(path.join(app, "migrations", `${v}.sql`));
const withMigration = webshopVersions.filter((v) => v !== "v1" && migrationSql(v) !== undefined);
const newestLive = Math.max(...plan.liveVersions.map((v) => withMigration.indexOf(v as (typeof withMigration)[number])));
// What the servers run now, from this stack's last outputs (absent on its first up).
const lastUp = new pulumi.StackReference("last-up", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
const running = lastUp.getOutput("servers").apply((s) => ((s ?? []) as { version: string }[]).map((x) => x.version));
const live = running.apply((r) => withRunning(liveForCheck(plan, release), r, release).map((l) => ({ ...l, sql: readIfExists(path.join(app, "queries", `${l.version}.sql`)) })));
// Staged: never replaced. All at once: replaced first, which drains and stops every server
// before the migrations below (they depend on it) run. See components/fleet.ts.
const epoch = new Epoch("release-epoch", { mode: release.releaseMode, release: release.releaseVersion });
let schemaBefore = migrationSql("v1") as string;
let lastMigration: pulumi.Resource | undefined = env.database;
for (const version of withMigration.slice(0, newestLive + 1)) {
    const sql = migrationSql(version) as string;
    const schema = schemaBefore;
    lastMigration = new Migration(`migration-${version}`, {
        connection: env.connection,
        name: version,
        sql,
        compatibility: live.apply((l) => ({ schema, live: l, mode: release.releaseMode })),
    }, { dependsOn: [...(lastMigration ? [lastMigration] : []), epoch], additionalSecretOutputs: ["connection"] });
    schemaBefore += `\n${sql}`;
}

const fleet = new Fleet("webshop", {
    plan,
    target: env.fleetTarget,
    epoch,
    dependsOn: lastMigration ? [lastMigration] : [],
    judge: (name, server, deploy, opts) => {
        const baseline = plan.servers.filter((s) => s.version === release.stableVersion).map((s) => s.name);
        if (release.bakeSeconds === 0 || server.role !== "canary" || baseline.length === 0) {
            return undefined;
        }
        const resource = new Judgement(name, {
            // HAProxy's request log on the local default, the ALB's access logs on AWS
            ...env.judgeWith(server, baseline),
            canary: server.name,
            version: server.version,
            deployment: deploy.id,
            baseline,
            bakeSeconds: release.bakeSeconds,
            minSamples: release.minSamples,
            accepted: release.acceptVerdicts[server.name] === server.version,
            reportFile: path.join(dir, "judgements", `${server.name}-${server.version}.json`),
        }, opts);
        return { resource, verdict: resource.verdict };
    },
});

export const servers = fleet.servers;
export const liveVersions = plan.liveVersions;
export const loadBalancerUrl = env.url;
export const dashboardUrl = env.dashboardUrl;
