// Pulumi.yaml's config schema (what the engine checks: types, defaults, secrets) must say what the
// program's validation knows: the same keys, the same defaults, the same types and secrets.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { projectRoot } from "../../../src/engine";
import { ConfigError, RawConfig } from "../../../src/release/config";
import { parseStackConfig, secretKeys, stackKeys, undeclaredKeys } from "../../../src/release/stack-config";

interface Declared {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly default?: unknown;
    readonly secret?: boolean;
    readonly description?: string;
}
const project = load(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { config: Record<string, Declared>; plugins?: unknown };
const declared = project.config;
const ctx = { resolvePath: (p: string) => path.resolve("/srv/shop", p), keysSet: [] };
/** A stack's config as the engine hands it to the program after applying Pulumi.yaml's defaults. */
const withDefaults = (extra: RawConfig): RawConfig => ({
    ...Object.fromEntries(Object.entries(declared).filter(([, d]) => d.default !== undefined).map(([k, d]) => [k, typeof d.default === "string" ? d.default : JSON.stringify(d.default)])),
    ...extra,
});
const minimal: Record<string, RawConfig> = {
    local: { startCommand: '["./app"]', dbPassword: "unit-test" },
    hosts: {
        target: "hosts", startCommand: "[]", hosts: '["web-1=198.18.0.11","web-2=198.18.0.12","web-3=198.18.0.13"]', haproxyHost: "198.18.0.10",
        knownHosts: JSON.stringify(["198.18.0.10,198.18.0.11,198.18.0.12,198.18.0.13 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"]),
        dbHost: "198.18.0.1", deployCommand: "deploy {version}", stopCommand: "stop", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
    },
    aws: { target: "aws", startCommand: "[]", awsRegion: "eu-central-1", vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: '["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"]', amiId: "ami-0a1b2c3d4e5f60719", dbHost: "db", deployCommand: "deploy {version}", stopCommand: "stop", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
};

describe("Pulumi.yaml's config schema", () => {
    it("declares plugins at the top level and every key inside config", () => {
        assert.ok(project.plugins, "plugins is a top-level key");
        assert.equal((declared as Record<string, unknown>).providers, undefined);
    });

    it("declares exactly the keys the program reads, but the undeclared secret ones", () => {
        assert.deepEqual(Object.keys(declared).sort(), stackKeys.filter((k) => !(undeclaredKeys as readonly string[]).includes(k)).sort());
        for (const k of undeclaredKeys) {
            assert.ok(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8").includes(`# ${k} (`), `Pulumi.yaml says in a comment what ${k} is and why it is not declared`);
        }
    });

    it("describes every key, with a type", () => {
        for (const [key, d] of Object.entries(declared)) {
            assert.ok(d.description && d.description.length > 10, `${key} has a description`);
            assert.ok(["string", "integer", "boolean", "array"].includes(d.type), `${key} has a type`);
        }
    });

    it("declares no secret key (the engine would require it on every stack): zdr checks its secret keys itself", () => {
        assert.deepEqual(Object.entries(declared).filter(([, d]) => d.secret).map(([k]) => k), []);
        assert.deepEqual([...undeclaredKeys].sort(), [...secretKeys].sort());
    });

    for (const target of ["local", "aws", "hosts"]) {
        it(`has the program's own defaults (${target} target): the engine's defaults change nothing`, () => {
            assert.deepEqual(parseStackConfig(withDefaults(minimal[target]), ctx), parseStackConfig(minimal[target], ctx));
        });
    }

    it("types each integer key as the program does: a non-integer is refused naming the key", () => {
        for (const [key] of Object.entries(declared).filter(([, x]) => x.type === "integer")) {
            const target = ["appPort", "deregistrationDelaySeconds", "dbPortRemote"].includes(key) ? "aws" : ["sshTimeoutSeconds", "commandTimeoutSeconds", "healthPollIntervalMs", "nodeExporterPort"].includes(key) ? "hosts" : "local";
            assert.throws(() => parseStackConfig({ ...minimal[target], [key]: "1.5" }, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith(`zdr:${key}: must be an integer`)), key);
        }
    });

    it("types each array key as the program does: text that is no list is refused naming the key", () => {
        for (const [key, d] of Object.entries(declared).filter(([, x]) => x.type === "array")) {
            const target = ["subnetIds", "instanceIds"].includes(key) ? "aws" : ["hosts", "knownHosts"].includes(key) ? "hosts" : "local";
            const raw = { ...minimal[target], [key]: "a,b" };
            assert.throws(() => parseStackConfig(raw, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith(`zdr:${key}: must be a list`)), `${key} (${d.type})`);
        }
    });
});
