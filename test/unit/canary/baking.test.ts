// The canaries baking in a stack's state (src/canary/baking.ts): the judgements the engine is
// creating or updating, their inputs with the secrets the engine decrypted.
import { strict as assert } from "node:assert";
import { bakesIn, pickBake, revealed } from "../../../src/canary/baking";

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

    describe("which bake zdr watch watches", () => {
        const bakes = bakesIn({ pending_operations: [{ type: "creating", resource: judgement("web-1") }, { type: "creating", resource: judgement("web-4") }] });
        const cases: { name: string; bakes: typeof bakes; canary?: string; baseline?: string[]; canaryIs?: string; baselineIs?: string[]; error?: string }[] = [
            { name: "the only one baking, against its stable servers", bakes: bakes.slice(0, 1), canaryIs: "web-1", baselineIs: ["web-2", "web-3"] },
            { name: "the one named, against some of its stable servers", bakes, canary: "web-4", baseline: ["web-3"], canaryIs: "web-4", baselineIs: ["web-3"] },
            { name: "none baking", bakes: [], error: "no canary is baking in stack s: no canary judgement is in progress (watch during an `up` that moves a canary, once it is back in the load balancer)" },
            { name: "two baking, none named", bakes, error: "--canary: 2 canaries are baking in stack s (web-1, web-4): name one" },
            { name: "a server not baking", bakes, canary: "web-9", error: "--canary: web-9 is not baking in stack s; baking: web-1, web-4" },
            { name: "a baseline server the bake does not compare with", bakes, canary: "web-1", baseline: ["web-2", "web-5"], error: "--baseline: web-5 not among the stable servers web-1 is compared with (web-2, web-3)" },
        ];
        for (const c of cases) {
            it(c.name, () => {
                const picked = pickBake(c.bakes, "s", c.canary, c.baseline ?? []);
                if (c.error !== undefined) {
                    assert.deepEqual(picked, { error: c.error });
                } else {
                    assert.ok("inputs" in picked, JSON.stringify(picked));
                    assert.deepEqual([picked.inputs.canary, picked.inputs.baseline], [c.canaryIs, c.baselineIs]);
                }
            });
        }
    });
});
