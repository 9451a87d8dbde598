// A team's own program: their app (app/hello.py) released with zdr's one component. Each stage is
// a config change and one `pulumi up`, as with zdr's own program:
//   pulumi config set release 1.1.0 && pulumi config set canaryCount 1 && pulumi up
import * as pulumi from "@pulumi/pulumi";
import * as zdr from "zdr";

const config = new pulumi.Config();
const release = new zdr.Release("hello", {
    servers: ["hello-1", "hello-2"],
    stableVersion: config.require("version"),
    releaseVersion: config.get("release") || undefined,
    canaryCount: config.getNumber("canaryCount"),
    app: {
        name: "hello",
        startCommand: ["python3", "app/hello.py", "--version", "{version}", "--port", "{port}"],
        healthCheckPath: "/healthz",
        stopGraceSeconds: 10,
        db: { name: "hello", user: "hello" },
    },
    // each migration is checked against what every live version runs (db/queries/<version>.sql)
    migrations: {
        dir: config.get("migrationsDir") ?? "db/migrations",
        // version -> the migration V<n> it needs (pulumi config set schemaVersions '{"1.2.0": 2}')
        schemaVersions: config.getObject<Record<string, number>>("schemaVersions") ?? { "1.0.0": 1, "1.1.0": 1 },
        queriesDir: "db/queries",
    },
    // a canary is judged against the stable server for at most bakeSeconds
    canary: { bakeSeconds: config.getNumber("bakeSeconds") },
    drainTimeoutSeconds: 5,
    healthCheckIntervalMs: 200,
    healthTimeoutSeconds: 15,
    target: { kind: "local", lbPort: config.requireNumber("lbPort"), appBasePort: config.requireNumber("basePort"), dbPort: config.requireNumber("dbPort") },
    dbPassword: config.requireSecret("dbPassword"),
    projectDir: __dirname,
});

// the Release reads what the servers run now from this output of the last up
export const servers = release.servers;
export const url = release.loadBalancerUrl;
