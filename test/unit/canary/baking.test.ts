// The canaries baking in a stack's state (src/canary/baking.ts): the judgements the engine is
// creating or updating, their inputs with the secrets the engine decrypted.
import { strict as assert } from "node:assert";
import { bakesIn, revealed } from "../../../src/canary/baking";

const sig = "4dabf18193072939515e22adb298388d";
const secret = (v: unknown) => ({ [sig]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const judgement = (canary: string, extra: Record<string, unknown> = {}) => ({
    urn: `urn:pulumi:s::zdr::zdr:canary:Judgement::${canary}`,
    type: "zdr:canary:Judgement",
    inputs: { canary, version: "v2", deployment: "d1", baseline: ["web-2", "web-3"], bakeSeconds: 60, accepted: false, reportFile: `/r/${canary}.json`, ...extra },
});

describe("the canaries baking in a stack's state", () => {
    it("finds a judgement being created or updated, its secrets in plain text", () => {
        const ssh = { host: "10.0.0.2", user: "root", privateKey: "KEY", knownHosts: ["10.0.0.2 ssh-ed25519 AAAA"] };
        const bakes = bakesIn({
            pending_operations: [
                { type: "creating", resource: judgement("web-1", { remoteRequestLog: secret({ ssh, file: "/var/log/haproxy.log" }) }) },
                { type: "updating", resource: judgement("web-4") },
            ],
        });
        assert.deepEqual(bakes.map((b) => b.inputs.canary), ["web-1", "web-4"]);
        assert.deepEqual(bakes[0].inputs.remoteRequestLog, { ssh, file: "/var/log/haproxy.log" });
    });

    it("leaves out what does not bake: other resource types, a deletion, an accepted verdict, a canary not serving", () => {
        assert.deepEqual(
            bakesIn({
                pending_operations: [
                    { type: "creating", resource: { ...judgement("web-1"), type: "zdr:local:Deploy" } },
                    { type: "deleting", resource: judgement("web-2") },
                    { type: "creating", resource: judgement("web-3", { accepted: true }) },
                    { type: "creating", resource: judgement("web-4", { notServing: "its health check failed" }) },
                ],
            }),
            [],
        );
        assert.deepEqual(bakesIn({}), []);
        assert.deepEqual(bakesIn(undefined), []);
    });

    it("refuses a secret still encrypted, without showing it", () => {
        assert.throws(() => revealed({ a: { [sig]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } }), (e: Error) => /a secret of the state is still encrypted/.test(e.message) && !e.message.includes("v1:abc"));
    });

    it("reveals secrets nested in lists and objects", () => {
        assert.deepEqual(revealed([{ x: secret({ y: [1, secret("z")] }) }]), [{ x: { y: [1, "z"] } }]);
    });
});
