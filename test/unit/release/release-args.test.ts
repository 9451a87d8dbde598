import { strict as assert } from "node:assert";
import * as path from "node:path";
import { projectRoot } from "../../../src/engine";
import { ConfigError, type RawConfig } from "../../../src/release/config";
import { type ReleaseSettings, type SecretsGiven, settingsOf, stackConfigOf } from "../../../src/release/release-args";
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
            assert.deepEqual(stackConfigOf(settingsOf(parsed), resolvePath, { dbPassword: true, sshPrivateKey: { text: key } }), parsed);
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
    const withPassword: SecretsGiven = { dbPassword: true, sshPrivateKey: "none" };
    it("applies the stack config's defaults: no release, one at a time, no judgement", () => {
        const c = stackConfigOf(hello, resolvePath, withPassword);
        assert.deepEqual([c.release.releaseVersion, c.release.canaryCount, c.release.maxUnavailable, c.release.bakeSeconds, c.release.releaseMode], ["1.0.0", 0, 1, 0, "staged"]);
        assert.deepEqual([c.app.healthCheckPath, c.app.stopSignal, c.app.stopGraceSeconds, c.app.db], ["/health", "SIGTERM", 30, { name: "app", user: "app" }]);
        assert.deepEqual(c.target.kind === "local" && c.target.local, { lbPort: 8301, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 });
    });
    it("resolves the migrations' folders against the project", () => {
        const c = stackConfigOf({ ...hello, migrations: { dir: "db/migrations", schemaVersions: { "1.1.0": 2 }, queriesDir: "db/queries" } }, resolvePath, withPassword);
        assert.deepEqual([c.app.migrationsDir, c.app.queriesDir, c.app.schemaVersions], [path.join(projectRoot, "db/migrations"), path.join(projectRoot, "db/queries"), { "1.1.0": 2 }]);
    });
    const refused: { name: string; settings: ReleaseSettings; secrets?: SecretsGiven; problems: string[] }[] = [
        { name: "every problem at once, each named by its setting", settings: { ...hello, canaryCount: 3, app: { name: "Hello" }, batches: { maxUnavailable: "150%" } }, problems: [
            "canaryCount: must be an integer from 0 to 2; got \"3\"",
            "batches.maxUnavailable: must be a count of servers (\"2\") or a percentage of them from 0% to 100% (\"25%\"); got \"150%\"",
            "app.name: must be 1-32 lower-case letters, digits, - or _, starting with a letter; got \"Hello\"",
            "app.startCommand: required on the local target: how a version starts, as argv, e.g. [node, server.js, --port, \"{port}\"] ({version} and {port} are replaced)",
        ] },
        { name: "a judge option out of its range", settings: { ...hello, canary: { judge: { alpha: 0.5 } } }, problems: [
            "canary.judge.alpha: must be a number above 0 and at most 0.1 (the bound on the false-failure rate over all checks and looks); got \"0.5\"",
        ] },
        { name: "the local target without a database password", settings: hello, secrets: { dbPassword: false, sshPrivateKey: "none" }, problems: [
            "dbPassword: required on the local target (its PostgreSQL is initialised with it); pass a Pulumi secret",
        ] },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}`, () => {
            assert.throws(() => stackConfigOf(c.settings, resolvePath, c.secrets ?? withPassword), (e: ConfigError) => {
                assert.deepEqual(e.problems, c.problems);
                return true;
            });
        });
    }
});

describe("stackConfigOf: a typed hosts or AWS target is checked against the release as its keys are", () => {
    const parsed = (file: string) => parseStackConfig({ ...rawOfFile(file), dbPassword: "secret", sshPrivateKey: key }, { resolvePath, keysSet: [] });
    // Pulumi.hosts.yaml: web-1..web-3 on 10.0.0.11-13, bakeSeconds 120 with HAProxy's log; Pulumi.prod.yaml: web-1..web-4, zdr creates the ALB
    const hosts = settingsOf(parsed("Pulumi.hosts.yaml"));
    const aws = settingsOf(parsed("Pulumi.prod.yaml"));
    const hostsTarget = hosts.target.kind === "hosts" ? hosts.target.hosts : assert.fail("Pulumi.hosts.yaml is a hosts stack");
    const awsTarget = aws.target.kind === "aws" ? aws.target.aws : assert.fail("Pulumi.prod.yaml is an AWS stack");
    const withKey: SecretsGiven = { dbPassword: true, sshPrivateKey: { text: key } };
    const address = { address: "10.0.0.19", sshPort: 22 };

    const refused: { name: string; settings: ReleaseSettings; secrets?: SecretsGiven; problems: string[] }[] = [
        { name: "a server with no host", settings: { ...hosts, servers: [...hosts.servers, "web-4"] }, problems: [
            'target.hosts.hosts: no host for web-4; every server needs "server=address"',
        ] },
        { name: "a host for a server the release does not have", settings: { ...hosts, target: { kind: "hosts", hosts: { ...hostsTarget, hosts: { ...hostsTarget.hosts, "web-9": address } } } }, problems: [
            "target.hosts.hosts: web-9 is not one of the servers (web-1, web-2, web-3)",
        ] },
        { name: "a judged canary without HAProxy's log on its host", settings: { ...hosts, target: { kind: "hosts", hosts: { ...hostsTarget, haproxy: { ...hostsTarget.haproxy, logFile: undefined } } } }, problems: [
            "target.hosts.haproxy.logFile: required on the hosts target when bakeSeconds > 0 (the canary judge reads HAProxy's request log on its host over SSH): the absolute path of that log, written with the log-format in docs/hosts.md, e.g. /var/log/haproxy-requests.log; or set bakeSeconds to 0",
        ] },
        { name: "an HAProxy host without a known key", settings: { ...hosts, target: { kind: "hosts", hosts: { ...hostsTarget, haproxy: { ...hostsTarget.haproxy, address: "10.0.0.9" } } } }, problems: [
            "target.hosts.knownHosts: no line for the HAProxy host (10.0.0.9); zdr never trusts a host on first use: add its line (ssh-keyscan 10.0.0.9) after checking its fingerprint on the host",
        ] },
        { name: "a hosts target given no SSH key", settings: hosts, secrets: { dbPassword: true, sshPrivateKey: "none" }, problems: [
            'sshPrivateKey: the hosts target needs the SSH private key of sshUser (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE',
        ] },
        { name: "a hosts target given a plain string that is no key", settings: hosts, secrets: { dbPassword: true, sshPrivateKey: { text: "unused" } }, problems: [
            'sshPrivateKey: the hosts target needs the SSH private key of sshUser (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE',
        ] },
        { name: "migrations on hosts without a database", settings: { ...hosts, target: { kind: "hosts", hosts: { ...hostsTarget, db: undefined } } }, problems: [
            "target.hosts.db.host: required for the hosts target: the PostgreSQL host the migrations run against (reachable from where `pulumi up` runs)",
        ] },
        { name: "an AWS canary bake shorter than the ALB's log delivery", settings: { ...aws, canary: { bakeSeconds: 60 } }, problems: [
            'canary.bakeSeconds: must be 0 or at least 300 on the AWS target (the ALB delivers the access logs the judge reads every 5 minutes); got "60"',
        ] },
        { name: "an AWS instance for a server the release does not have", settings: { ...aws, target: { kind: "aws", aws: { ...awsTarget, create: undefined, existing: {
            targetGroupArn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef",
            instanceIds: { "web-1": "i-0123456789abcdef1", "web-2": "i-0123456789abcdef2", "web-3": "i-0123456789abcdef3", "web-4": "i-0123456789abcdef4", "web-9": "i-0123456789abcdef9" },
            knownHosts: [1, 2, 3, 4].map((i) => `i-0123456789abcdef${i} ${hostsTarget.knownHosts[0].split(" ").slice(1).join(" ")}`),
        } } } }, problems: [
            "target.aws.existing.instanceIds: web-9 is not one of the servers (web-1, web-2, web-3, web-4)",
        ] },
        { name: "an AWS target with one subnet", settings: { ...aws, target: { kind: "aws", aws: { ...awsTarget, existing: undefined, create: { ...awsTarget.create!, subnetIds: ["subnet-0a1b2c3d4e5f60001"] } } } }, problems: [
            'target.aws.create.subnetIds: must be a list of at least two subnet ids (subnet-...) in different zones; got ["subnet-0a1b2c3d4e5f60001"]',
        ] },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}, naming the field`, () => {
            assert.throws(() => stackConfigOf(c.settings, resolvePath, c.secrets ?? withKey), (e: ConfigError) => {
                assert.deepEqual(e.problems, c.problems);
                return true;
            });
        });
    }

    it("leaves the form of a key given as an Output to the Release, which checks it once known", () => {
        assert.deepEqual(stackConfigOf(hosts, resolvePath, { dbPassword: true, sshPrivateKey: "output" }), parsed("Pulumi.hosts.yaml"));
        assert.deepEqual(stackConfigOf(aws, resolvePath, { dbPassword: true, sshPrivateKey: "output" }), parsed("Pulumi.prod.yaml"));
    });

    it("never prints the key", () => {
        assert.throws(() => stackConfigOf(hosts, resolvePath, { dbPassword: true, sshPrivateKey: { text: "BEGIN OPENSSH PRIVATE KEY supersecretmaterial" } }), (e: ConfigError) =>
            e.problems.length === 1 && !e.message.includes("supersecretmaterial"));
    });
});
