// A team's own program: their app (app/hello.py, no migrations) released with zdr's components.
// Each stage is a config change and one `pulumi up`, as with zdr's own program:
//   pulumi config set release 1.1.0 && pulumi config set canaryCount 1 && pulumi up
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as zdr from "zdr";

const config = new pulumi.Config();
const release = zdr.parseReleaseConfig({
    servers: JSON.stringify(["hello-1", "hello-2"]),
    stableVersion: config.get("version"),
    releaseVersion: config.get("release"),
    canaryCount: config.get("canaryCount"),
    drainTimeoutSeconds: "5",
    healthCheckIntervalMs: "200",
    healthTimeoutSeconds: "15",
});
const app: zdr.AppConfig = {
    name: "hello",
    startCommand: ["python3", "app/hello.py", "--version", "{version}", "--port", "{port}"],
    stopSignal: "SIGTERM",
    stopGraceSeconds: 10,
    healthCheckPath: "/healthz",
    schemaVersions: {},
    db: { name: "hello", user: "hello" },
};
const plan = zdr.planRelease(release);
const dir = path.join(__dirname, ".state", pulumi.getStack());
const environment = new zdr.LocalEnvironment("env", {
    app,
    servers: release.servers,
    dir,
    lbPort: config.requireNumber("lbPort"),
    appBasePort: config.requireNumber("basePort"),
    dbPort: config.requireNumber("dbPort"),
    healthCheckIntervalMs: release.healthCheckIntervalMs,
    dbPassword: config.requireSecret("dbPassword"),
});
const fleet = new zdr.Fleet("hello", {
    plan,
    epoch: new zdr.Epoch("epoch", { mode: release.releaseMode, release: release.releaseVersion }),
    target: new zdr.LocalTarget({
        environment,
        projectDir: __dirname,
        drainTimeoutSeconds: release.drainTimeoutSeconds,
        healthTimeoutSeconds: release.healthTimeoutSeconds,
        eventsFile: path.join(dir, "events.jsonl"),
    }),
});

export const servers = fleet.servers;
export const url = environment.lbUrl;
