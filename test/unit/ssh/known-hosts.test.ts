import { strict as assert } from "node:assert";
import { createHmac, randomBytes } from "node:crypto";
import { checkHostKey, fingerprint, keysFor, knownHostsName, parseKnownHosts } from "../../../src/ssh/known-hosts";

/** A wire-format ssh-ed25519 public key with the given 32 bytes. */
function ed25519(fill: number): Buffer {
    const type = Buffer.from("ssh-ed25519");
    const key = Buffer.alloc(32, fill);
    const len = (n: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
    };
    return Buffer.concat([len(type.length), type, len(key.length), key]);
}
const a = ed25519(1);
const b = ed25519(2);
const line = (hosts: string, key: Buffer) => `${hosts} ssh-ed25519 ${key.toString("base64")}`;
const hashed = (name: string) => {
    const salt = randomBytes(20);
    return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
};

describe("known hosts", () => {
    it("names a host on port 22 plainly and [host]:port otherwise", () => {
        assert.equal(knownHostsName("198.18.0.10", 22), "198.18.0.10");
        assert.equal(knownHostsName("198.18.0.10", 2222), "[198.18.0.10]:2222");
    });

    const cases: { name: string; lines: string[]; host?: string; port?: number; presented: Buffer; ok: boolean; reason?: RegExp }[] = [
        { name: "accepts the listed key", lines: [line("198.18.0.10", a)], presented: a, ok: true },
        { name: "accepts one of several names on the line", lines: [line("web-1,198.18.0.10", a)], presented: a, ok: true },
        { name: "accepts a hashed name", lines: [line(hashed("198.18.0.10"), a)], presented: a, ok: true },
        { name: "accepts a wildcard pattern", lines: [line("198.18.0.*", a)], presented: a, ok: true },
        { name: "accepts a key listed for [host]:port", lines: [line("[198.18.0.10]:2222", a)], port: 2222, presented: a, ok: true },
        {
            name: "refuses another key, naming both fingerprints",
            lines: [line("198.18.0.10", a)],
            presented: b,
            ok: false,
            reason: new RegExp(`^host key of web-1 \\(198\\.18\\.0\\.10:22\\) does not match zdr:knownHosts: it presented ssh-ed25519 ${fingerprint(b).replace(/[+/]/g, "\\$&")}, zdr:knownHosts lists ssh-ed25519 ${fingerprint(a).replace(/[+/]/g, "\\$&")} for 198\\.18\\.0\\.10`),
        },
        { name: "refuses a host with no line: no trust on first use", lines: [line("198.18.0.11", a)], presented: a, ok: false, reason: /is unknown: zdr:knownHosts has no line for 198\.18\.0\.10 and zdr never trusts a host on first use; it presented ssh-ed25519 SHA256:/ },
        { name: "refuses a key listed for port 22 when the host is on another port", lines: [line("198.18.0.10", a)], port: 2222, presented: a, ok: false, reason: /no line for \[198\.18\.0\.10\]:2222/ },
        { name: "refuses a revoked key", lines: [`@revoked ${line("*", a)}`, line("198.18.0.10", a)], presented: a, ok: false, reason: /is revoked in zdr:knownHosts/ },
        { name: "refuses a name negated on the line", lines: [line("198.18.0.*,!198.18.0.10", a)], presented: a, ok: false, reason: /is unknown/ },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const r = checkHostKey(parseKnownHosts(c.lines), c.host ?? "198.18.0.10", c.port ?? 22, c.presented, `web-1 (198.18.0.10:${c.port ?? 22})`, "zdr:knownHosts");
            assert.equal(r.ok, c.ok, r.ok ? "ok" : r.reason);
            if (!r.ok && c.reason) {
                assert.match(r.reason, c.reason);
            }
        });
    }

    it("hints the scan of the address and the line under the alias for a host pinned by alias (an instance id)", () => {
        const alias = checkHostKey(parseKnownHosts([line("i-0aaa", a)]), "i-0bbb", 22, a, "web-2 (198.18.0.12:22)", "the instance's pinned key", { host: "198.18.0.12", port: 22 });
        assert.equal(alias.ok, false);
        assert.match(alias.ok ? "" : alias.reason, /add its line \(ssh-keyscan 198\.18\.0\.12 \| sed 's\/\^\[\^ \]\*\/i-0bbb\/', the line under i-0bbb\)$/);
        const plain = checkHostKey(parseKnownHosts([line("198.18.0.11", a)]), "198.18.0.10", 2222, a, "web-1", "zdr:knownHosts");
        assert.match(plain.ok ? "" : plain.reason, /add its line \(ssh-keyscan -p 2222 198\.18\.0\.10\)$/);
    });

    it("skips blank lines and comments, and refuses a line that is not a key, naming its number", () => {
        assert.equal(parseKnownHosts(["", "# comment", line("h", a)]).length, 1);
        assert.throws(() => parseKnownHosts([line("h", a), "h ssh-ed25519 not-base64!"]), /^Error: known hosts line 2 is not "host\[,host\.\.\.\] key-type base64-key"/);
        assert.throws(() => parseKnownHosts([`h ssh-rsa ${a.toString("base64")}`]), /line 1 is not/, "the key type must be the key's own");
        assert.throws(() => parseKnownHosts([`@cert-authority ${line("*", a)}`]), /@cert-authority is not supported/);
    });

    it("fingerprints as ssh-keygen -l does (SHA256, base64 without padding)", () => {
        assert.match(fingerprint(a), /^SHA256:[A-Za-z0-9+/]{43}$/);
        assert.equal(keysFor(parseKnownHosts([line("x,y", a), line("y", b)]), "y", 22).length, 2);
    });
});
