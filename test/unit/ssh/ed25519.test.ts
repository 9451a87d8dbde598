// src/ssh/ed25519.ts: every key it makes loads in OpenSSH and in ssh2, including the keys whose
// public half starts with a zero byte (ssh2's own generator wrote those malformed, about 1 in 140).
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { utils } from "ssh2";
import { generateEd25519 } from "../../../src/ssh/ed25519";

describe("an ed25519 key pair in OpenSSH formats", () => {
    it("ssh2 loads every one of 3,000 keys, with the public key the pair names", () => {
        let leadingZero = 0;
        for (let i = 0; i < 3000; i++) {
            const pair = generateEd25519(`k${i}`);
            const parsed = utils.parseKey(pair.privateKey);
            assert.ok(!(parsed instanceof Error), `key ${i}: ${parsed instanceof Error ? parsed.message : ""}`);
            const key = Array.isArray(parsed) ? parsed[0] : parsed;
            assert.equal(key.type, "ssh-ed25519");
            assert.equal(key.comment, `k${i}`);
            assert.deepEqual(key.getPublicSSH(), pair.publicBlob);
            if (pair.publicBlob[4 + 11 + 4] === 0) leadingZero++;
        }
        // about 12 of 3,000 public keys start with a zero byte: the case that broke before
        assert.ok(leadingZero > 0, "no key with a leading zero byte among 3,000: draw again");
    }).timeout(120_000);

    it("ssh-keygen derives the same public key from each of 300 private keys", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-ed25519-"));
        try {
            for (let i = 0; i < 300; i++) {
                const pair = generateEd25519(`k${i}`);
                const file = path.join(dir, `key${i}`);
                fs.writeFileSync(file, pair.privateKey, { mode: 0o600 });
                const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
                assert.equal(derived, pair.publicKey, `key ${i}`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }).timeout(300_000); // 300 ssh-keygen runs: 137 s at load 20-30 (a time-out bounds a hang; it measures nothing)
});
