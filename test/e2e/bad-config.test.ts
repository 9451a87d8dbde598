// Bad stack config on the real engine: every `up` fails with a message that names the key and
// what is allowed, and nothing in the state changes.
import { strict as assert } from "node:assert";
import { setStageConfig, StageValue } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

interface BadConfig {
    readonly name: string;
    readonly config: Readonly<Record<string, StageValue>>;
    /** A line the engine's output must contain. */
    readonly message: string;
}

const cases: BadConfig[] = [
    { name: "canaryCount above the number of servers", config: { canaryCount: "4" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "4"' },
    { name: "negative canaryCount", config: { canaryCount: "-1" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "-1"' },
    { name: "canaryCount not a number (the engine's type check)", config: { canaryCount: "two" }, message: "with configuration key 'canaryCount' must be of type 'integer'" },
    { name: "unknown release version", config: { releaseVersion: "v9" }, message: 'zdr:releaseVersion: unknown version "v9"; this target has v1, v2, v3, broken, faulty' },
    { name: "unknown stable version", config: { stableVersion: "latest" }, message: 'zdr:stableVersion: unknown version "latest"; this target has v1, v2, v3, broken, faulty' },
    { name: "duplicate server", config: { servers: ["web-1", "web-2", "web-2"] }, message: "zdr:servers: web-2 is listed twice; every server name must be unique" },
    { name: "a version name with a space", config: { releaseVersion: "v 2" }, message: 'zdr:releaseVersion: "v 2" is not a version name (letters, digits, . _ -)' },
    { name: "a server name in capitals", config: { servers: ["Web-1", "web-2", "web-3"] }, message: "zdr:servers: must be a non-empty list of names of lower-case letters, digits and -, starting with a letter (at most 32)" },
    { name: "pin of an unknown server", config: { pins: ["web-9=v1"] }, message: "zdr:pins: web-9 is not one of the servers (web-1, web-2, web-3)" },
    { name: "pin without a version", config: { pins: ["web-1"] }, message: 'zdr:pins: "web-1" is not "server=version"' },
    { name: "pin to an unknown version", config: { pins: ["web-1=v0"] }, message: 'zdr:pins: unknown version "v0"; this target has v1, v2, v3, broken, faulty' },
    { name: "server pinned twice", config: { pins: ["web-1=v1", "web-1=v2"] }, message: "zdr:pins: web-1 is pinned twice" },
    { name: "zero drain timeout", config: { drainTimeoutSeconds: "0" }, message: 'zdr:drainTimeoutSeconds: must be an integer from 1 to 3600; got "0"' },
    { name: "negative drain timeout", config: { drainTimeoutSeconds: "-5" }, message: 'zdr:drainTimeoutSeconds: must be an integer from 1 to 3600; got "-5"' },
    { name: "health-check interval too short", config: { healthCheckIntervalMs: "50" }, message: 'zdr:healthCheckIntervalMs: must be an integer from 100 to 60000; got "50"' },
    { name: "zero health timeout", config: { healthTimeoutSeconds: "0" }, message: 'zdr:healthTimeoutSeconds: must be an integer from 1 to 3600; got "0"' },
    { name: "a bake window of one second", config: { bakeSeconds: "1" }, message: 'zdr:bakeSeconds: must be 0 (no canary judgement) or from 2 to 86400 (the first second is warm-up); got "1"' },
    { name: "too few samples for a verdict", config: { minSamples: "5" }, message: 'zdr:minSamples: must be an integer from 10 to 1000000; got "5"' },
    { name: "accepted verdict of an unknown server", config: { acceptVerdicts: ["web-7=v2"] }, message: "zdr:acceptVerdicts: web-7 is not one of the servers (web-1, web-2, web-3)" },
    { name: "a privileged load-balancer port", config: { lbPort: "80" }, message: 'zdr:lbPort: must be an integer from 1024 to 65535; got "80"' },
    { name: "load-balancer port among the app ports", config: { lbPort: "APP+1" }, message: "zdr:lbPort: APP+1 is one of the app ports" },
    { name: "database port on the load-balancer port", config: { dbPort: "LB" }, message: "zdr:dbPort: LB collides with lbPort or the app ports; choose another" },
    { name: "app ports beyond 65535", config: { appBasePort: "65534" }, message: 'zdr:appBasePort: must be an integer from 1024 to 65533; got "65534"' },
    { name: "a target that does not exist", config: { target: "gcp" }, message: 'zdr:target: must be "local" or "aws"; got "gcp"' },
    { name: "the AWS target without its region", config: { target: "aws" }, message: "zdr:awsRegion: required for the AWS target: an AWS region such as eu-central-1" },
    { name: "the AWS target without the SSH key", config: { target: "aws" }, message: "zdr:sshPrivateKey: required for the AWS target: the deploy user's SSH private key, as a secret" },
    { name: "an SSH key in plain text", config: { target: "aws", sshPrivateKey: "not-a-secret" }, message: "zdr:sshPrivateKey: must be a secret, not plain text in the stack file" },
    { name: "a region that is not one", config: { target: "aws", awsRegion: "Frankfurt" }, message: 'zdr:awsRegion: must be an AWS region such as eu-central-1; got "Frankfurt"' },
    { name: "an ALB with one subnet", config: { target: "aws", awsRegion: "eu-central-1", subnetIds: ["subnet-0a1b2c3d4e5f60001"] }, message: "zdr:subnetIds: must list at least two subnet ids (subnet-...) in different zones" },
    { name: "a bake shorter than the ALB's log delivery", config: { target: "aws", bakeSeconds: "60" }, message: 'zdr:bakeSeconds: must be 0 or at least 300 on the AWS target (the ALB delivers the access logs the judge reads every 5 minutes); got "60"' },
    { name: "an unknown release mode", config: { releaseMode: "big-bang" }, message: 'zdr:releaseMode: must be one of "staged", "all-at-once"; got "big-bang"' },
    { name: "all at once with nothing to release", config: { releaseMode: "all-at-once" }, message: 'zdr:releaseMode: "all-at-once" needs a releaseVersion other than stableVersion (v1); set zdr:releaseVersion' },
    { name: "a misspelt key", config: { canaryCoutn: "1" }, message: "zdr:canaryCoutn: unknown key; the keys are acceptVerdicts, amiId, appBasePort, appPort, awsRegion, bakeSeconds, canaryCount, dbHost, dbName, dbPassword, dbPort, dbPortRemote, dbUser, deployCommand, deregistrationDelaySeconds, drainTimeoutSeconds, healthCheckIntervalMs, healthCheckPath, healthTimeoutSeconds, instanceIds, instanceType, lbPort, minSamples, pins, releaseMode, releaseVersion, servers, sshCidr, sshPrivateKey, sshUser, stableVersion, stopCommand, subnetIds, target, targetGroupArn, vpcId" },
    { name: "a port that is not a number (the engine's type check)", config: { dbPort: "abc" }, message: "with configuration key 'dbPort' must be of type 'integer'" },
];

describe("bad stack config on the real engine", function () {
    this.timeout(300_000);
    let local: LocalStack;
    let valid: Record<string, string>;

    /** Resources and outputs, without the timestamps a failed update still writes. */
    const snapshot = async () => {
        const d = (await local.stack.exportStack()).deployment;
        return JSON.stringify(d.resources.map((r: { urn: string; id?: string; outputs?: object; inputs?: object }) => [r.urn, r.id, r.inputs, r.outputs]));
    };

    before(async () => {
        local = await openLocalStack("e2e-config");
        valid = Object.fromEntries(Object.entries(await local.stack.getAllConfig()).map(([k, v]) => [k.replace(/^zdr:/, ""), v.value]));
    });
    after(() => local?.close());

    for (const c of cases) {
        it(`refuses ${c.name}`, async () => {
            const appBase = Number(valid.appBasePort);
            const resolve = (v: StageValue): StageValue => (typeof v === "string" ? v.replace("APP+1", String(appBase + 1)).replace(/^LB$/, valid.lbPort) : v);
            const config = Object.fromEntries(Object.entries(c.config).map(([k, v]) => [k, resolve(v)]));
            const message = c.message.replace(/APP\+1/g, String(appBase + 1)).replace(/\bLB\b/g, valid.lbPort);
            const before = await snapshot();
            await setStageConfig(local.stack, config);
            let output = "";
            try {
                await assert.rejects(local.stack.up({ onOutput: (s) => (output += s) }), (e: Error) => {
                    output += e.message;
                    return true;
                });
                assert.ok(output.includes(message), `no "${message}" in:\n${output.slice(-1500)}`);
                assert.equal(await snapshot(), before, "the state did not change");
            } finally {
                await setStageConfig(local.stack, Object.fromEntries(Object.keys(c.config).map((k) => [k, valid[k] === undefined ? null : ["servers", "pins", "acceptVerdicts", "subnetIds", "instanceIds"].includes(k) ? JSON.parse(valid[k]) : valid[k]])));
            }
        });
    }
});
