// Wiring only: read and validate the stack config, plan the stage, build the components.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Fleet } from "./components/fleet";
import { LocalEnvironment, LocalTarget, webshopVersions } from "./components/local";
import { Migration } from "./resources/migration";
import { ConfigError, knownKeys, namespace, parseLocalConfig, parseReleaseConfig } from "./src/release/config";
import { planRelease } from "./src/release/plan";

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
});

// Every release migration up to the newest live version that has one, in order (v1 is the
// base schema, applied by the environment).
const migrationFile = (v: string) => path.join(__dirname, "app/webshop/migrations", `${v}.sql`);
const withMigration = webshopVersions.filter((v) => v !== "v1" && fs.existsSync(migrationFile(v)));
const newestLive = Math.max(...plan.liveVersions.map((v) => withMigration.indexOf(v as (typeof withMigration)[number])));
let lastMigration: pulumi.Resource = env.database;
for (const version of withMigration.slice(0, newestLive + 1)) {
    const file = migrationFile(version);
    lastMigration = new Migration(`migration-${version}`, {
        connection: { ...env.connection, port: local.dbPort },
        name: version,
        sql: fs.readFileSync(file, "utf8"),
    }, { dependsOn: [lastMigration] });
}

const fleet = new Fleet("webshop", {
    plan,
    target: new LocalTarget({
        environment: env,
        drainTimeoutSeconds: release.drainTimeoutSeconds,
        healthTimeoutSeconds: release.healthTimeoutSeconds,
        eventsFile: path.join(dir, "events.jsonl"),
    }),
    dependsOn: [lastMigration],
});

export const servers = fleet.servers;
export const liveVersions = plan.liveVersions;
export const loadBalancerUrl = env.lbUrl;
