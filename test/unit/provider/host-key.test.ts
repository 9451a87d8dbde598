// zdr:hosts:HostKey: the host keys zdr makes for the instances it creates, and the cloud-init user
// data that gives an instance its key. Checked with OpenSSH's own ssh-keygen.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";
import { generateHostKey, hostKeyProvider } from "../../../provider/hosts/host-key";
import { hostKeyOfUserData, hostKeyUserData } from "../../../targets/aws/api/user-data";

describe("zdr:hosts:HostKey", () => {
    const urn = "urn:pulumi:prod::zdr::zdr:hosts:HostKey::aws-web-1-host-key";

    it("makes an ed25519 pair that ssh-keygen reads, with its fingerprint as ssh-keygen prints it", () => {
        const key = generateHostKey("web-1");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-host-key-"));
        try {
            const file = path.join(dir, "key");
            fs.writeFileSync(file, key.privateKey, { mode: 0o600 });
            const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim().split(/\s+/).slice(0, 2).join(" ");
            assert.equal(derived, key.publicKey.split(/\s+/).slice(0, 2).join(" "), "the public key is the private key's");
            assert.match(key.publicKey, /^ssh-ed25519 AAAA\S+ zdr-web-1$/);
            const printed = execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" });
            assert.ok(printed.includes(key.fingerprint), `${printed} names ${key.fingerprint}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a new key on each create; a changed label keeps the key (no replace)", async () => {
        const a = await hostKeyProvider.create(urn, { server: "web-1" });
        const b = await hostKeyProvider.create(urn, { server: "web-1" });
        assert.notEqual(a.outs.privateKey, b.outs.privateKey);
        assert.equal(a.id, a.outs.fingerprint);
        assert.deepEqual(await hostKeyProvider.diff(a.id, urn, a.outs, { server: "web-1" }), { changes: false, replaces: [] });
        assert.deepEqual(await hostKeyProvider.diff(a.id, urn, a.outs, { server: "web-one" }), { changes: true, replaces: [] });
        const updated = await hostKeyProvider.update(a.id, urn, a.outs, { server: "web-one" });
        assert.deepEqual(updated.outs, { ...a.outs, server: "web-one" });
    });
});

describe("the user data of an instance zdr creates", () => {
    it("is a cloud-config that installs zdr's key as the only host key", () => {
        const key = generateHostKey("web-2");
        const text = hostKeyUserData(key);
        assert.ok(text.startsWith("#cloud-config\n"));
        assert.deepEqual(load(text), {
            ssh_deletekeys: true,
            ssh_genkeytypes: [],
            ssh_keys: { ed25519_private: key.privateKey, ed25519_public: key.publicKey },
        });
        assert.deepEqual(hostKeyOfUserData(text), { privateKey: key.privateKey, publicKey: key.publicKey });
    });

    it("names no key when it is not a cloud-config", () => {
        assert.equal(hostKeyOfUserData("#!/bin/sh\necho hi\n"), undefined);
    });

    it("refuses a key type cloud-init does not install", () => {
        assert.throws(() => hostKeyUserData({ privateKey: "x", publicKey: "ssh-dss AAAA" }), /host key type "ssh-dss" is not one cloud-init installs \(ed25519, ecdsa, rsa\)/);
    });
});
