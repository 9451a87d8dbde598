// What `zdr status` reads from `pulumi stack export --show-secrets` and from a health answer.
import { strict as assert } from "node:assert";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { revealed, versionOf } from "../../../src/status";

describe("zdr status: secrets of the exported state, versions of health answers", () => {
    // as `pulumi stack export --show-secrets` writes a secret (seen on the engine: {"4dabf…": "1b47…", "plaintext": "{\"a\":1}"})
    const secret = (v: unknown) => ({ [specialSigKey]: specialSecretSig, plaintext: JSON.stringify(v) });

    it("reveals the engine's secret envelopes at any depth, and leaves an encrypted one alone", () => {
        const encrypted = { [specialSigKey]: specialSecretSig, ciphertext: "v1:abc" };
        assert.deepEqual(
            revealed({ ssh: secret({ host: "198.18.4.2", user: "root", privateKey: "KEY", knownHosts: ["a"] }), list: [secret("x"), 2], other: encrypted }),
            { ssh: { host: "198.18.4.2", user: "root", privateKey: "KEY", knownHosts: ["a"] }, list: ["x", 2], other: encrypted },
        );
        // a secret inside a secret (an output made secret twice)
        assert.deepEqual(revealed(secret({ privateKey: secret("KEY") })), { privateKey: "KEY" });
    });

    it("takes the version from a JSON health body, else the x-app-version header; names what failed", () => {
        assert.equal(versionOf({ status: 200, body: '{"version":"v2"}' }), "v2");
        assert.equal(versionOf({ status: 200, header: (n) => (n === "x-app-version" ? "v3" : undefined), body: "ok" }), "v3");
        assert.equal(versionOf({ status: 204 }), "healthy");
        assert.equal(versionOf({ status: 503, body: '{"version":"v2"}' }), "unhealthy (HTTP 503)");
        assert.equal(versionOf({ error: "nothing accepts connections on 198.18.4.2:8080" }), "not answering");
    });
});
