// Wiring only: read and validate the stack config, plan the stage, build the components.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Fleet } from "./components/fleet";
import { LocalEnvironment, LocalTarget, webshopVersions } from "./components/local";
import { Judgement } from "./resources/judgement";
import { Epoch } from "./resources/epoch";
import { Migration } from "./resources/migration";
import { ConfigError, knownKeys, namespace, parseLocalConfig, parseReleaseConfig } from "./src/release/config";
import { liveForCheck, planRelease } from "./src/release/plan";

/** Bad config stops the program before any resource is registered, with a message and no stack trace. */
function validated<T>(parse: () => T): T {
    try {
        return parse();
    } catch (e) {
        throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    }
}

const config = new pulumi.Config(namespace);
const raw = Object.fromEntries(knownKeys.map((k) => [k, config.get(k)]));
const { release, local } = validated(() => {
    const known = new Set<string>([...knownKeys, "dbPassword"]);
    const unknown = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(`${namespace}:`) && !known.has(k.slice(namespace.length + 1)));
    if (unknown.length > 0) {
        throw new ConfigError(unknown.map((k) => `${k}: unknown key; the keys are ${[...known].sort().join(", ")}`));
    }
    if ((raw.target ?? "local") !== "local") {
        throw new ConfigError([`${namespace}:target: must be "local" (the AWS target is not built yet); got ${JSON.stringify(raw.target)}`]);
    }
    const release = parseReleaseConfig(raw, webshopVersions);
    return { release, local: parseLocalConfig(raw, release.servers.length, process.env.ZDR_LB_PORT) };
});
const plan = planRelease(release);

const dir = path.join(__dirname, ".zdr/local", pulumi.getStack());
const env = new LocalEnvironment("local", {
    servers: release.servers,
    dir,
    ...local,
    healthCheckIntervalMs: release.healthCheckIntervalMs,
    dbPassword: config.requireSecret("dbPassword"),
});

// Every release migration up to the newest live version that has one, in order (v1 is the
// base schema, applied by the environment). Each carries what the schema-compatibility policy
// checks it against: the schema before it and the SQL of every version live while it applies.
const app = path.join(__dirname, "app/webshop");
const readIfExists = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
const migrationSql = (v: string) => readIfExists(path.join(app, "migrations", `${v}.sql`));
const withMigration = webshopVersions.filter((v) => v !== "v1" && migrationSql(v) !== undefined);
const newestLive = Math.max(...plan.liveVersions.map((v) => withMigration.indexOf(v as (typeof withMigration)[number])));
const live = liveForCheck(plan, release).map((l) => ({ ...l, sql: readIfExists(path.join(app, "queries", `${l.version}.sql`)) }));
// Staged: never replaced. All at once: replaced first, which drains and stops every server
// before the migrations below (they depend on it) run. See components/fleet.ts.
const epoch = new Epoch("release-epoch", { mode: release.releaseMode, release: release.releaseVersion });
let schemaBefore = migrationSql("v1") as string;
let lastMigration: pulumi.Resource = env.database;
for (const version of withMigration.slice(0, newestLive + 1)) {
    const sql = migrationSql(version) as string;
    lastMigration = new Migration(`migration-${version}`, {
        connection: { ...env.connection, port: local.dbPort },
        name: version,
        sql,
        compatibility: { schema: schemaBefore, live, mode: release.releaseMode },
    }, { dependsOn: [lastMigration, epoch], additionalSecretOutputs: ["connection"] });
    schemaBefore += `\n${sql}`;
}

const fleet = new Fleet("webshop", {
    plan,
    target: new LocalTarget({
        environment: env,
        drainTimeoutSeconds: release.drainTimeoutSeconds,
        healthTimeoutSeconds: release.healthTimeoutSeconds,
        eventsFile: path.join(dir, "events.jsonl"),
    }),
    epoch,
    dependsOn: [lastMigration],
    judge: (name, server, deploy, opts) => {
        const baseline = plan.servers.filter((s) => s.version === release.stableVersion).map((s) => s.name);
        if (release.bakeSeconds === 0 || server.role !== "canary" || baseline.length === 0) {
            return undefined;
        }
        const resource = new Judgement(name, {
            requestLog: path.join(dir, "haproxy.log"),
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
export const loadBalancerUrl = env.lbUrl;
