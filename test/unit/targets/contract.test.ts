// Every registered target (targets/registry.ts) held to one contract, the same way: its whole
// program (index.ts) run under Pulumi's mocks over its example stack with a canary stage
// (test/support/target-contract-program.ts, one process per target). A target added to the
// registry is tested here with no new test code.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { projectRoot } from "../../../src/engine";
import { parseReleaseConfig } from "../../../src/release/config";
import { undeclaredKeys } from "../../../src/release/stack-config";
import { parseMetricsConfig } from "../../../src/monitors/config";
import { targetDefinition, targetDefinitions } from "../../../targets/registry";
import { contractDeployFailure, contractRegistrations, contractSecrets } from "../../support/target-contract-program";
import { type Registration, waitsThroughChecks } from "../../support/mocks";

const servers = ["web-1", "web-2", "web-3"];
const declared = Object.keys((yaml.load(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> }).config).map((k) => k.replace(/^zdr:/, ""));

/**
 * A server's step a resource stands for: `<fleet>-<server>-<step>`, of zdr's own types (the
 * resource zdr's provider acts on: on AWS the membership's TargetHealth, `-member-health`, stands
 * for the attachment beside it).
 */
function stepOf(r: Registration): [string, string] | undefined {
    const m = /-(web-\d)-(deploy|member|judgement)(-[a-z]+)?$/.exec(r.name);
    return m && r.type.startsWith("zdr:") ? [m[1], m[2]] : undefined;
}

/** The release graph reduced to roles: per server's step, delete-first, what replaces it, what it waits for. */
function shape(regs: readonly Registration[]): string[] {
    const fleet = regs.find((r) => r.type === "zdr:fleet:Fleet");
    assert.ok(fleet, "a zdr:fleet:Fleet");
    const role = (r: Registration) => stepOf(r)?.join(" ");
    const isStep = (r: Registration | undefined): r is Registration => !!r && r.parent === fleet.urn && !!role(r);
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const names = (urns: readonly string[]) => urns.map((u) => byUrn.get(u)).filter(isStep).map((d) => role(d)).sort().join(",");
    return regs.filter(isStep).map((r) => `${role(r)}: dbr=${r.deleteBeforeReplace} replaceWith=[${names(r.replaceWith)}] after=[${names(waitsThroughChecks(regs, r))}]`).sort();
}

/** A target's example stack file as raw config, with the secrets it holds encrypted. */
function exampleConfig(exampleStack: string): Record<string, string> {
    const file = yaml.load(fs.readFileSync(path.join(projectRoot, exampleStack), "utf8")) as { config: Record<string, unknown> };
    const raw = Object.fromEntries(Object.entries(file.config).filter(([, v]) => typeof v === "string" || Array.isArray(v)).map(([k, v]) => [k.replace(/^zdr:/, ""), typeof v === "string" ? v : JSON.stringify(v)]));
    return { ...raw, ...contractSecrets };
}

const runs = new Map<string, Registration[]>();
function registrations(kind: string): Registration[] {
    let regs = runs.get(kind);
    if (!regs) {
        regs = contractRegistrations(kind);
        runs.set(kind, regs);
    }
    return regs;
}

describe("every target's contract (targets/registry.ts)", function () {
    this.timeout(300_000);

    for (const target of targetDefinitions) {
        describe(`the ${target.kind} target`, () => {
            it("declares its keys in Pulumi.yaml and parses its example stack", () => {
                // a secret key is not declared (undeclaredKeys says why)
                assert.deepEqual(target.configKeys.map((k) => k.key).filter((k) => !declared.includes(k) && !(undeclaredKeys as readonly string[]).includes(k)), []);
                const raw = exampleConfig(target.exampleStack);
                assert.equal(raw.target, target.kind, `${target.exampleStack} selects it`);
                assert.equal(target.parse(raw, parseReleaseConfig(raw), {}).kind, target.kind);
            });

            it("gives each server one deploy and one membership, and the canary a judgement with evidence", () => {
                const regs = registrations(target.kind);
                const steps = (step: string) => regs.flatMap((r) => (stepOf(r)?.[1] === step ? [stepOf(r)?.[0]] : [])).sort();
                assert.deepEqual(steps("deploy"), servers);
                assert.deepEqual(steps("member"), servers);
                assert.deepEqual(steps("judgement"), ["web-1"]);
                const judgement = regs.find((r) => r.type === "zdr:canary:Judgement");
                // the requests of the bake: HAProxy's log here or on its host, or the ALB's access logs
                assert.ok(judgement && (judgement.inputs.requestLog || judgement.inputs.remoteRequestLog || judgement.inputs.albLogs), `evidence: ${Object.keys(judgement?.inputs ?? {})}`);
                assert.deepEqual(judgement.inputs.baseline, ["web-2", "web-3"]);
            });

            it("gives the canary's judgement the metric checks its definition gives with the example stack, and where to read them (or why they are off)", () => {
                const raw = exampleConfig(target.exampleStack);
                const definition = targetDefinition(target.kind);
                const setting = definition?.metricChecks(definition.parse(raw, parseReleaseConfig(raw), {}), parseMetricsConfig(raw, definition.metricDefaults));
                const judgement = registrations(target.kind).find((r) => r.type === "zdr:canary:Judgement");
                const checks = (judgement?.inputs.metricChecks ?? []) as { name: string }[];
                const store = setting && "store" in setting ? { prometheus: judgement?.inputs.prometheus, cloudwatch: judgement?.inputs.cloudWatchMetrics }[setting.store] : undefined;
                if (setting && "checks" in setting) {
                    assert.ok(setting.checks.length > 0, "the example stack's target reads metric checks");
                    assert.deepEqual(checks.map((c) => c.name), setting.checks.map((c) => c.name));
                    assert.ok(store !== undefined, `read from ${JSON.stringify(setting.store)}: ${Object.keys(judgement?.inputs ?? {})}`);
                } else {
                    assert.deepEqual(checks, []);
                    assert.equal(judgement?.inputs.metricsOff, setting?.off);
                }
            });

            it("has the release graph's shape: each deploy after the drain, each reattach after its deploy, one server at a time", () => {
                assert.deepEqual(shape(registrations(target.kind)), shape(registrations("local")));
            });

            it("carries a deploy's recorded failure to its membership (nothing is attached)", () => {
                const members = registrations(target.kind).filter((r) => stepOf(r)?.[1] === "member" && r.inputs.deployFailure !== undefined);
                assert.deepEqual(members.map((m) => [stepOf(m)?.[0], m.inputs.deployFailure]), [["web-2", contractDeployFailure]]);
            });

            it("never registers a secret in plain text", () => {
                // a secret input is wrapped ({ 4dabf18193072939515e22adb298388d: ..., value }); with the wrappers taken out, neither secret is left
                const plain = JSON.stringify(registrations(target.kind).map((r) => r.inputs), (_k, v) => (v && typeof v === "object" && "4dabf18193072939515e22adb298388d" in v ? "<secret>" : v));
                for (const secret of [contractSecrets.dbPassword, "contract-key-material-4b7e"]) {
                    assert.ok(!plain.includes(secret), `${secret} in plain text`);
                }
            });
        });
    }
});
