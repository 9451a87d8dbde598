import { strict as assert } from "node:assert";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime";
import { changedKeys, checkedInputs, diffReplacingAll, typeOfUrn, unknownValue, unwrapSecrets } from "../../../provider/diff";

describe("provider diff", () => {
    const outputOnly = ["pid", "startTicks"];
    const cases: { name: string; olds: object; news: object; replaces: string[] }[] = [
        { name: "no change when only output-only fields differ", olds: { command: ["a"], pid: 1 }, news: { command: ["a"] }, replaces: [] },
        { name: "a changed argv replaces", olds: { command: ["a"] }, news: { command: ["b"] }, replaces: ["command"] },
        { name: "key order inside an object is not a change", olds: { env: { A: "1", B: "2" } }, news: { env: { B: "2", A: "1" } }, replaces: [] },
        { name: "a removed input replaces", olds: { command: ["a"], cwd: "/x" }, news: { command: ["a"] }, replaces: ["cwd"] },
        { name: "an added input replaces", olds: { command: ["a"] }, news: { command: ["a"], healthUrl: "http://x" }, replaces: ["healthUrl"] },
        { name: "an unknown value (preview) counts as a change", olds: { env: { V: "1" } }, news: { env: { V: unknownValue } }, replaces: ["env"] },
        { name: "changed triggers replace", olds: { triggers: ["v1"] }, news: { triggers: ["v2"] }, replaces: ["triggers"] },
        // a preview of a stack that changes nothing: the deploy recorded no failure (no output), read as unknown
        { name: "an unknown carried failure (preview) is not a change", olds: { version: "v1" }, news: { version: "v1", deployFailure: unknownValue, notServing: unknownValue }, replaces: [] },
        { name: "a carried failure that is known is diffed", olds: { version: "v1" }, news: { version: "v1", deployFailure: "exit 1" }, replaces: ["deployFailure"] },
        { name: "a carried failure unknown beside a changed input: that input changes", olds: { version: "v1" }, news: { version: "v2", deployFailure: unknownValue }, replaces: ["version"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            assert.deepEqual(changedKeys(c.olds, c.news, outputOnly), c.replaces);
            assert.deepEqual(diffReplacingAll(c.olds, c.news, outputOnly), { changes: c.replaces.length > 0, replaces: c.replaces });
        });
    }

    const urns: [string, string][] = [
        ["urn:pulumi:dev::zdr::zdr:local:Process::web-1", "zdr:local:Process"],
        ["urn:pulumi:dev::zdr::zdr:fleet:Fleet$zdr:local:Process::web-1", "zdr:local:Process"],
    ];
    for (const [urn, type] of urns) {
        it(`reads the type ${type} from ${urn}`, () => assert.equal(typeOfUrn(urn), type));
    }
});

describe("unwrapSecrets", () => {
    const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
    it("unwraps secrets at any depth and leaves the rest", () => {
        assert.deepEqual(
            unwrapSecrets({ env: { PGPASSWORD: secret("s3cret"), PORT: "1" }, connection: secret({ password: "p" }), list: [secret(1), 2] }),
            { env: { PGPASSWORD: "s3cret", PORT: "1" }, connection: { password: "p" }, list: [1, 2] },
        );
    });
});

describe("checkedInputs", () => {
    const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
    it("keeps every input the check returns unchanged as the engine sent it (a secret stays wrapped)", () => {
        const sent = { connection: secret({ password: "p" }), sql: "SELECT 1" };
        assert.deepEqual(checkedInputs(sent, { connection: { password: "p" }, sql: "SELECT 1" }), sent);
    });
    it("takes an input the check changed or added", () => {
        const sent = { connection: secret({ password: "p" }), compatibility: { live: [] } };
        assert.deepEqual(checkedInputs(sent, { connection: { password: "p" }, compatibility: { live: [], applied: true } }), { connection: secret({ password: "p" }), compatibility: { live: [], applied: true } });
    });
});
