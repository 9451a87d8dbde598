import { strict as assert } from "node:assert";
import * as path from "node:path";
import { hookArgv, parseAppConfig, startArgv } from "../../../src/release/app-config";
import { ConfigError, RawConfig } from "../../../src/release/config";
import { parseStackConfig } from "../../../src/release/stack-config";

const resolvePath = (p: string) => path.resolve("/srv/shop", p);
const local: RawConfig = { startCommand: '["python3","app.py","--port","{port}"]', dbPassword: "unit-test" };

describe("parseAppConfig", () => {
    it("applies the defaults", () => {
        assert.deepEqual(parseAppConfig(local, "local", resolvePath), {
            name: "app",
            startCommand: ["python3", "app.py", "--port", "{port}"],
            stopSignal: "SIGTERM",
            stopGraceSeconds: 30,
            healthCheckPath: "/health",
            hooks: { beforeAllowTraffic: [], afterAllowTraffic: [], timeoutSeconds: 60 },
            logs: {},
            migrationsDir: undefined,
            schemaVersions: {},
            queriesDir: undefined,
            db: { name: "app", user: "app" },
        });
    });

    it("resolves folders against the project and reads which migration each version needs", () => {
        const c = parseAppConfig({ ...local, migrationsDir: "db/migrations", queriesDir: "db/queries", schemaVersions: '["v1=1","2.0.0=3"]' }, "local", resolvePath);
        assert.equal(c.migrationsDir, "/srv/shop/db/migrations");
        assert.equal(c.queriesDir, "/srv/shop/db/queries");
        assert.deepEqual(c.schemaVersions, { v1: 1, "2.0.0": 3 });
    });

    it("needs no start command on AWS (the deploy command starts versions there)", () => {
        assert.deepEqual(parseAppConfig({}, "aws", resolvePath).startCommand, []);
    });

    const bad: [string, RawConfig, string][] = [
        ["no start command on the local target", {}, 'zdr:startCommand: required on the local target: how a version starts, as argv, e.g. [node, server.js, --port, "{port}"] ({version} and {port} are replaced)'],
        ["a start command that is not a list", { startCommand: "node server.js" }, 'zdr:startCommand: must be a list in YAML or JSON; got "node server.js"'],
        ["a start command with a number", { startCommand: '["node", 3]' }, 'zdr:startCommand: must be a list of strings (argv); got ["node", 3]'],
        ["an unknown stop signal", { ...local, stopSignal: "SIGKILL" }, 'zdr:stopSignal: must be one of "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"; got "SIGKILL"'],
        ["a zero grace period", { ...local, stopGraceSeconds: "0" }, 'zdr:stopGraceSeconds: must be an integer from 1 to 3600; got "0"'],
        ["a health path without /", { ...local, healthCheckPath: "health" }, 'zdr:healthCheckPath: must be a URL path starting with / (no spaces); got "health"'],
        ["an app name in capitals", { ...local, appName: "Shop" }, 'zdr:appName: must be 1-32 lower-case letters, digits, - or _, starting with a letter; got "Shop"'],
        ["a schema version without =", { ...local, migrationsDir: "m", schemaVersions: '["v1"]' }, 'zdr:schemaVersions: "v1" is not "version=n" (a version name and the number n >= 1 of the migration V<n> it needs)'],
        ["a version listed twice", { ...local, migrationsDir: "m", schemaVersions: '["v1=1","v1=2"]' }, "zdr:schemaVersions: v1 is listed twice"],
        ["schema versions without a migrations folder", { ...local, schemaVersions: '["v1=1"]' }, "zdr:schemaVersions: needs zdr:migrationsDir, the folder of the migrations it names"],
        ["a hook that is not a list", { ...local, beforeAllowTraffic: "./smoke" }, 'zdr:beforeAllowTraffic: must be a list in YAML or JSON; got "./smoke"'],
        ["a hook with a number", { ...local, afterAllowTraffic: '["./check", 3]' }, 'zdr:afterAllowTraffic: must be a list of strings (argv; {server}, {version} and {port} are replaced), or empty for none; got ["./check", 3]'],
        ["a zero hook time limit", { ...local, hookTimeoutSeconds: "0" }, 'zdr:hookTimeoutSeconds: must be an integer from 1 to 3600; got "0"'],
        ["an error pattern that is no regular expression", { ...local, appLogErrorPattern: "[a-" }, "zdr:appLogErrorPattern: must be a regular expression (JavaScript syntax, matched case-insensitively) that matches the error lines of the app's log that state no level; \"[a-\" is not: Invalid regular expression: /[a-/i: Unterminated character class"],
        ["a database name with a dash", { ...local, dbName: "web-shop" }, 'zdr:dbName: must be a PostgreSQL identifier of lower-case letters, digits and _ (at most 63); got "web-shop"'],
    ];
    for (const [name, raw, message] of bad) {
        it(`refuses ${name}`, () => {
            assert.throws(() => parseAppConfig(raw, "local", resolvePath), (e: unknown) => {
                assert.ok(e instanceof ConfigError);
                assert.ok(e.problems.includes(message), `${JSON.stringify(e.problems)} has no ${message}`);
                return true;
            });
        });
    }

    it("takes hooks on the AWS target too (they run over SSH on the instances)", () => {
        const c = parseAppConfig({ beforeAllowTraffic: '["/opt/webshop/bin/smoke", "{port}"]', afterAllowTraffic: "[]" }, "aws", resolvePath);
        assert.deepEqual(c.hooks, { beforeAllowTraffic: ["/opt/webshop/bin/smoke", "{port}"], afterAllowTraffic: [], timeoutSeconds: 60 });
    });

    const hostsLogs: [string, RawConfig, string][] = [
        ["a relative log file", { appLogFile: "logs/{server}.log" }, 'zdr:appLogFile: must be the absolute path of the app\'s log file on each server\'s host (no spaces; {server} and {version} are replaced), e.g. /var/log/shop/{server}.log; got "logs/{server}.log"'],
        ["a placeholder zdr does not fill", { appLogFile: "/var/log/{app}.log" }, 'zdr:appLogFile: must be the absolute path of the app\'s log file on each server\'s host (no spaces; {server} and {version} are replaced), e.g. /var/log/shop/{server}.log; got "/var/log/{app}.log"'],
        ["a unit with a space", { appLogUnit: "shop service" }, 'zdr:appLogUnit: must be the systemd unit whose journal holds the app\'s lines on each server\'s host ({server} and {version} are replaced), e.g. shop.service or shop@{server}.service; got "shop service"'],
        ["a file and a unit", { appLogFile: "/var/log/shop.log", appLogUnit: "shop.service" }, "zdr:appLogUnit: set appLogFile or appLogUnit, not both: where the app's lines are on a host, a file or a journald unit"],
    ];
    for (const [name, raw, message] of hostsLogs) {
        it(`refuses ${name} (hosts target)`, () => {
            assert.throws(() => parseAppConfig(raw, "hosts", resolvePath), (e: ConfigError) => e.problems.includes(message) || assert.fail(JSON.stringify(e.problems)));
        });
    }

    it("reads where the app logs on a host, and refuses it on the other targets", () => {
        assert.deepEqual(parseAppConfig({ appLogFile: "/var/log/shop/{server}-{version}.log", appLogErrorPattern: "^E\\d+" }, "hosts", resolvePath).logs, { file: "/var/log/shop/{server}-{version}.log", errorPattern: "^E\\d+" });
        assert.deepEqual(parseAppConfig({ appLogUnit: "shop@{server}.service" }, "hosts", resolvePath).logs, { unit: "shop@{server}.service" });
        assert.throws(() => parseAppConfig({ ...local, appLogUnit: "shop.service" }, "local", resolvePath), (e: ConfigError) =>
            e.problems.includes("zdr:appLogUnit: read on the hosts target only (the local default reads each server's stdout and stderr; on AWS set appLogGroup); remove it for the local target"));
    });

    it("reads the app's CloudWatch Logs group on AWS, a stream per instance unless it says otherwise", () => {
        assert.deepEqual(parseAppConfig({ appLogGroup: "/shop/app" }, "aws", resolvePath).logs, { group: "/shop/app", stream: "{instanceId}" });
        assert.deepEqual(parseAppConfig({ appLogGroup: "/shop/app", appLogStream: "shop-{server}" }, "aws", resolvePath).logs, { group: "/shop/app", stream: "shop-{server}" });
        const refused: [RawConfig, string, string][] = [
            [{ appLogGroup: "shop app" }, "aws", 'zdr:appLogGroup: must be a CloudWatch Logs group name (1-512 of letters, digits, _ - / . #), e.g. /shop/app; got "shop app"'],
            [{ appLogGroup: "/shop/app", appLogStream: "{host}" }, "aws", 'zdr:appLogStream: must be a log stream name (no : or *; {server} and {instanceId} are replaced), e.g. {instanceId} or shop-{server}; got "{host}"'],
            [{ appLogStream: "{instanceId}" }, "aws", "zdr:appLogStream: needs zdr:appLogGroup, the group its streams are in"],
            [{ appLogGroup: "/shop/app" }, "hosts", "zdr:appLogGroup: read on the AWS target only (CloudWatch Logs); on the hosts target set appLogFile or appLogUnit; remove it for the hosts target"],
        ];
        for (const [raw, target, message] of refused) {
            assert.throws(() => parseAppConfig(raw, target, resolvePath), (e: ConfigError) => e.problems.includes(message) || assert.fail(JSON.stringify(e.problems)));
        }
    });

    it("reads the hooks and their time limit", () => {
        const c = parseAppConfig({ ...local, beforeAllowTraffic: '["./smoke", "{server}"]', afterAllowTraffic: '["./after"]', hookTimeoutSeconds: "5" }, "local", resolvePath);
        assert.deepEqual(c.hooks, { beforeAllowTraffic: ["./smoke", "{server}"], afterAllowTraffic: ["./after"], timeoutSeconds: 5 });
    });

    it("replaces {server}, {version} and {port} in a hook's arguments", () => {
        assert.deepEqual(hookArgv(["curl", "-f", "http://127.0.0.1:{port}/items?v={version}", "--header", "x-server: {server}"], "web-2", "v2", 9102), ["curl", "-f", "http://127.0.0.1:9102/items?v=v2", "--header", "x-server: web-2"]);
    });

    it("replaces {version} and {port} in every argument", () => {
        assert.deepEqual(startArgv(["./bin/shop-{version}", "--listen=127.0.0.1:{port}", "--tag", "{version}"], "1.2.0", 9101), ["./bin/shop-1.2.0", "--listen=127.0.0.1:9101", "--tag", "1.2.0"]);
    });
});

describe("parseStackConfig: one parse, the target's settings as one either-or", () => {
    const ctx = { resolvePath, keysSet: [] as string[] };
    it("the local target", () => {
        const c = parseStackConfig(local, ctx);
        assert.equal(c.target.kind, "local");
        assert.deepEqual(c.target.kind === "local" && c.target.local, { lbPort: 8080, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 });
    });
    it("reports the problems of every part at once", () => {
        assert.throws(() => parseStackConfig({ canaryCount: "7", stopSignal: "SIGSTOP" }, ctx), (e: ConfigError) =>
            e.problems.some((p) => p.startsWith("zdr:canaryCount:")) && e.problems.some((p) => p.startsWith("zdr:startCommand:")) && e.problems.some((p) => p.startsWith("zdr:stopSignal:")));
    });
    it("the AWS target's cross-field rules are inside it", () => {
        assert.throws(() => parseStackConfig({ target: "aws", bakeSeconds: "60" }, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith("zdr:bakeSeconds: must be 0 or at least 300 on the AWS target")));
    });
    it("refuses a misspelt key naming the nearest known one", () => {
        assert.throws(() => parseStackConfig(local, { ...ctx, keysSet: ["canaryCoutn"] }), (e: ConfigError) =>
            e.problems[0] === "zdr:canaryCoutn: unknown key; did you mean canaryCount? (every key, its type, default and range: Pulumi.yaml)");
        assert.throws(() => parseStackConfig(local, { ...ctx, keysSet: ["bakeseconds"] }), (e: ConfigError) => e.problems[0].includes("did you mean bakeSeconds?"));
    });
    it("refuses an unknown key that is near no known one without guessing", () => {
        assert.throws(() => parseStackConfig(local, { ...ctx, keysSet: ["kubernetesNamespace"] }), (e: ConfigError) =>
            e.problems[0] === "zdr:kubernetesNamespace: unknown key (every key, its type, default and range: Pulumi.yaml)");
    });
    it("refuses a secret key set in plain text, naming it, and needs no SSH key on a local stack", () => {
        assert.throws(() => parseStackConfig(local, { ...ctx, keysSet: ["sshPrivateKey"], plainKeys: ["sshPrivateKey"] }), (e: ConfigError) =>
            e.problems[0] === "zdr:sshPrivateKey: is a secret but set in plain text; set it again with --secret (scripts/pulumi config set --secret sshPrivateKey ...)");
        assert.equal(parseStackConfig(local, { ...ctx, keysSet: ["startCommand"], plainKeys: ["startCommand"] }).target.kind, "local");
    });
    it("refuses an unknown target", () => {
        assert.throws(() => parseStackConfig({ target: "gcp" }, ctx), (e: ConfigError) => e.problems[0] === 'zdr:target: must be one of "local", "aws", "hosts"; got "gcp"');
    });
});
