// Bad stack config on the real engine: every `up` fails with a message that names the key and
// what is allowed, and nothing in the state changes.
import { strict as assert } from "node:assert";
import { setStageConfig, StageValue } from "../../src/release/stages";
import { secretKeys } from "../../src/release/stack-config";
import { LocalStack, openLocalStack } from "../support/local-stack";

interface BadConfig {
    readonly name: string;
    readonly config: Readonly<Record<string, StageValue>>;
    /** A line the engine's output must contain. */
    readonly message: string;
}

// Only what the engine itself must show: its own type checks and secret rule, that a misspelt key
// reaches the program, and (one case) that our validation stops an `up` before anything changes.
// Every message of the validation is held in the unit tables (test/unit/release/*.test.ts: the
// version name, the start command, a migration the folder lacks, the load balancer's port among
// the app ports, the AWS target's settings and the batch-size floor were engine cases here too).
const cases: BadConfig[] = [
    { name: "canaryCount not a number (the engine's type check)", config: { canaryCount: "two" }, message: "with configuration key 'canaryCount' must be of type 'integer'" },
    { name: "a port that is not a number (the engine's type check)", config: { dbPort: "abc" }, message: "with configuration key 'dbPort' must be of type 'integer'" },
    { name: "the database password in plain text", config: { dbPassword: "not-a-secret" }, message: "zdr:dbPassword: is a secret but set in plain text; set it again with --secret (scripts/pulumi config set --secret dbPassword ...)" },
    { name: "an SSH key in plain text (the key is not declared in Pulumi.yaml: a local stack needs none)", config: { sshPrivateKey: "not-a-secret" }, message: "zdr:sshPrivateKey: is a secret but set in plain text; set it again with --secret (scripts/pulumi config set --secret sshPrivateKey ...)" },
    { name: "canaryCount above the number of servers", config: { canaryCount: "4" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "4"' },
    { name: "a misspelt key", config: { canaryCoutn: "1" }, message: "zdr:canaryCoutn: unknown key; did you mean canaryCount? (every key, its type, default and range: Pulumi.yaml)" },
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
                const plain = Object.keys(c.config).filter((k) => !(secretKeys as readonly string[]).includes(k));
                await setStageConfig(local.stack, Object.fromEntries(plain.map((k) => [k, valid[k] === undefined ? null : valid[k].startsWith("[") ? JSON.parse(valid[k]) : valid[k]])));
                for (const k of Object.keys(c.config).filter((x) => (secretKeys as readonly string[]).includes(x))) {
                    if (valid[k] === undefined) {
                        await local.stack.removeConfig(`zdr:${k}`);
                    } else {
                        await local.stack.setConfig(`zdr:${k}`, { value: valid[k], secret: true });
                    }
                }
            }
        });
    }
});
