import { strict as assert } from "node:assert";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";
import { ConfigError, type RawConfig } from "../../../src/release/config";
import { type ReleaseSettings, settingsOf, stackConfigOf } from "../../../src/release/release-args";
import { parseStackConfig } from "../../../src/release/stack-config";
import { readStackFileConfig } from "../../../src/stack-file";

const resolvePath = (p: string) => path.resolve(projectRoot, p);
/** A stack file's zdr keys as the engine hands them to a program: text, lists as JSON. */
const rawOfFile = (file: string): RawConfig =>
    Object.fromEntries(Object.entries(readStackFileConfig(path.join(projectRoot, file))).map(([k, v]) => [k, Array.isArray(v) ? JSON.stringify(v) : (v as string)]));

/** An SSH key as the AWS and hosts targets' config check wants its text (the Release takes the key itself as a secret Input). */
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

describe("a Release's typed settings stand for the same stack config as zdr's keys", () => {
    const stages: { name: string; raw: RawConfig }[] = [
        { name: "Pulumi.local.yaml", raw: rawOfFile("Pulumi.local.yaml") },
        { name: "Pulumi.local.yaml, a judged canary on 2 of 3 with pins, batches, hooks and judge options", raw: {
            ...rawOfFile("Pulumi.local.yaml"), canaryCount: "2", pins: '["web-3=v0"]', bakeSeconds: "60", acceptVerdicts: '["web-2=v2"]', maxUnavailable: "2", minHealthy: "1",
            beforeAllowTraffic: '["./smoke", "{server}"]', hookTimeoutSeconds: "5", canaryAlpha: "0.01", canaryLatencyTolerance: "0.25", canaryStopWhenInconclusive: "true",
            healthCheckFall: "3", appLogErrorPattern: "FATAL", lbPort: "8181",
        } },
        { name: "Pulumi.hosts.yaml", raw: rawOfFile("Pulumi.hosts.yaml") },
        { name: "Pulumi.prod.yaml (AWS)", raw: rawOfFile("Pulumi.prod.yaml") },
    ];
    for (const s of stages) {
        it(`${s.name}: settingsOf then stackConfigOf gives the parsed config back`, () => {
            const parsed = parseStackConfig({ ...s.raw, dbPassword: "secret", sshPrivateKey: key }, { resolvePath, keysSet: [] });
            assert.deepEqual(stackConfigOf(settingsOf(parsed), resolvePath, true), parsed);
        });
    }
});

describe("stackConfigOf: defaults and messages that name the setting", () => {
    const hello: ReleaseSettings = {
        servers: ["hello-1", "hello-2"],
        stableVersion: "1.0.0",
        app: { name: "hello", startCommand: ["python3", "app/hello.py", "--port", "{port}"] },
        target: { kind: "local", lbPort: 8301 },
    };
    it("applies the stack config's defaults: no release, one at a time, no judgement", () => {
        const c = stackConfigOf(hello, resolvePath, true);
        assert.deepEqual([c.release.releaseVersion, c.release.canaryCount, c.release.maxUnavailable, c.release.bakeSeconds, c.release.releaseMode], ["1.0.0", 0, 1, 0, "staged"]);
        assert.deepEqual([c.app.healthCheckPath, c.app.stopSignal, c.app.stopGraceSeconds, c.app.db], ["/health", "SIGTERM", 30, { name: "app", user: "app" }]);
        assert.deepEqual(c.target.kind === "local" && c.target.local, { lbPort: 8301, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 });
    });
    it("resolves the migrations' folders against the project", () => {
        const c = stackConfigOf({ ...hello, migrations: { dir: "db/migrations", schemaVersions: { "1.1.0": 2 }, queriesDir: "db/queries" } }, resolvePath, true);
        assert.deepEqual([c.app.migrationsDir, c.app.queriesDir, c.app.schemaVersions], [path.join(projectRoot, "db/migrations"), path.join(projectRoot, "db/queries"), { "1.1.0": 2 }]);
    });
    const refused: { name: string; settings: ReleaseSettings; hasDbPassword?: boolean; problems: string[] }[] = [
        { name: "every problem at once, each named by its setting", settings: { ...hello, canaryCount: 3, app: { name: "Hello" }, batches: { maxUnavailable: "150%" } }, problems: [
            "canaryCount: must be an integer from 0 to 2; got \"3\"",
            "batches.maxUnavailable: must be a count of servers (\"2\") or a percentage of them from 0% to 100% (\"25%\"); got \"150%\"",
            "app.name: must be 1-32 lower-case letters, digits, - or _, starting with a letter; got \"Hello\"",
            "app.startCommand: required on the local target: how a version starts, as argv, e.g. [node, server.js, --port, \"{port}\"] ({version} and {port} are replaced)",
        ] },
        { name: "a judge option out of its range", settings: { ...hello, canary: { judge: { alpha: 0.5 } } }, problems: [
            "canary.judge.alpha: must be a number above 0 and at most 0.1 (the bound on the false-failure rate over all checks and looks); got \"0.5\"",
        ] },
        { name: "the local target without a database password", settings: hello, hasDbPassword: false, problems: [
            "dbPassword: required on the local target (its PostgreSQL is initialised with it); pass a Pulumi secret",
        ] },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}`, () => {
            assert.throws(() => stackConfigOf(c.settings, resolvePath, c.hasDbPassword ?? true), (e: ConfigError) => {
                assert.deepEqual(e.problems, c.problems);
                return true;
            });
        });
    }
});
