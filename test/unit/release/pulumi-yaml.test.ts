// Pulumi.yaml's config schema (what the engine checks: types, defaults, secrets) must say what the
// program's validation knows: it is written from the config table (every key zdr reads is a row:
// src/release/stack-config.ts, configKeys), and each row's parser refuses what the row does not allow.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { projectRoot } from "../../../src/engine";
import { ConfigError, RawConfig } from "../../../src/release/config";
import { configKeys, numberKeys, parseStackConfig, secretKeys, stackKeys, undeclaredKeys } from "../../../src/release/stack-config";
import { pulumiYamlConfig, withConfigSection } from "../../../src/release/pulumi-yaml";

interface Declared {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly default?: unknown;
    readonly secret?: boolean;
    readonly description?: string;
}
const text = fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8");
const project = load(text) as { config: Record<string, Declared>; plugins?: unknown };
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

    it("is written from the config table: scripts/pulumi-yaml.ts would change nothing (run it after changing a row)", () => {
        assert.equal(withConfigSection(text, pulumiYamlConfig()), text);
    });

    it("has every key zdr reads as one row of the table", () => {
        assert.deepEqual(stackKeys.filter((k, i) => stackKeys.indexOf(k) !== i), [], "no key is two rows");
        assert.ok(stackKeys.length > 80, `${stackKeys.length} rows`);
    });

    it("declares exactly the keys the program reads, but the undeclared secret ones", () => {
        assert.deepEqual(Object.keys(declared).sort(), stackKeys.filter((k) => !(undeclaredKeys as readonly string[]).includes(k)).sort());
        for (const k of undeclaredKeys) {
            assert.ok(text.includes(`# ${k} (`), `Pulumi.yaml says in a comment what ${k} is and why it is not declared`);
        }
    });

    it("declares every row with its type, default and description", () => {
        const types = { integer: "integer", number: "string", string: "string", enum: "string", boolean: "boolean", list: "array" } as const;
        for (const k of configKeys.filter((x) => x.type !== "secret")) {
            const d = declared[k.key];
            const type = types[(k.type ?? "integer") as keyof typeof types];
            assert.equal(d.type, type, `${k.key}'s type`);
            const fallback = k.type === "list" ? [...(k.fallback ?? [])] : k.type === "number" ? String(k.fallback) : k.fallback;
            assert.deepEqual(d.default, fallback, `${k.key}'s default`);
            assert.equal(d.description, k.description, `${k.key}'s description`);
            if (k.type === "list") {
                assert.deepEqual((d as { items?: unknown }).items, { type: k.items }, `${k.key}'s items`);
            }
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

    it("declares every numeric row of the config table with its type and default, and nothing numeric besides", () => {
        for (const k of numberKeys) {
            const d = declared[k.key];
            assert.ok(d, `${k.key} is declared`);
            assert.equal(d.type, (k.type ?? "integer") === "integer" ? "integer" : "string", `${k.key}'s type`);
            assert.equal(Number(d.default), k.fallback, `${k.key}'s default`);
        }
        assert.deepEqual(
            Object.entries(declared).filter(([, d]) => d.type === "integer").map(([key]) => key).sort(),
            numberKeys.filter((k) => (k.type ?? "integer") === "integer").map((k) => k.key).sort(),
        );
    });

    for (const k of numberKeys) {
        it(`refuses ${k.key} outside ${k.openMin ? "(" : "["}${k.min}, ${k.max}] on every target that reads it (${k.targets.join(", ")}), naming the key`, () => {
            const below = k.openMin ? k.min : k.min - 1;
            const wrong = [String(below), ...(k.max < Number.MAX_SAFE_INTEGER ? [String(k.max + 1)] : []), ...((k.type ?? "integer") === "integer" ? ["1.5"] : ["many"])];
            for (const target of k.targets) {
                for (const value of wrong) {
                    assert.throws(() => parseStackConfig({ ...minimal[target], [k.key]: value }, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith(`zdr:${k.key}: must be ${(k.type ?? "integer") === "integer" ? "an integer" : "a number"}`)), `${k.key}=${value} on ${target}`);
                }
                assert.doesNotThrow(() => parseStackConfig({ ...minimal[target], [k.key]: String(k.fallback) }, ctx), `${k.key}=${k.fallback} (its default) on ${target}`);
            }
        });
    }

    for (const k of configKeys) {
        const wrong = k.type === "enum" ? ["none-of-these"] : k.type === "boolean" ? ["yes", "1"] : k.type === "string" && k.pattern ? [" ", "{x} no such value!", "ok"].filter((v) => !k.pattern!.test(v)) : [];
        if (wrong.length === 0) {
            continue;
        }
        it(`refuses ${k.key} ${wrong.map((v) => JSON.stringify(v)).join(" or ")} on every target that reads it (${k.targets.join(", ")}), naming the key`, () => {
            for (const target of k.targets) {
                for (const value of wrong) {
                    assert.throws(() => parseStackConfig({ ...minimal[target], [k.key]: value }, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith(`zdr:${k.key}: `)), `${k.key}=${value} on ${target}`);
                }
            }
        });
    }

    it("types each array key as the program does: text that is no list is refused naming the key, on every target that reads it", () => {
        // AWS reads knownHosts for instances it did not create
        const awsExisting: RawConfig = {
            ...minimal.aws, vpcId: "", subnetIds: "[]", amiId: "", targetGroupArn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef",
            instanceIds: JSON.stringify(["web-1", "web-2", "web-3"].map((s, i) => `${s}=i-0123456789abcdef${i}`)),
        };
        for (const k of configKeys.filter((x) => x.type === "list")) {
            for (const target of k.targets) {
                const raw = { ...(target === "aws" && k.key === "knownHosts" ? awsExisting : minimal[target]), [k.key]: "a,b" };
                assert.throws(() => parseStackConfig(raw, ctx), (e: ConfigError) => e.problems.some((p) => p.startsWith(`zdr:${k.key}: must be a list`)), `${k.key} on ${target}`);
            }
        }
    });
});
