// Host keys as OpenSSH's known_hosts lists them, and the check zdr makes before it sends
// anything to a host: the key the host presents must be one the configured known hosts list for
// it. A host with no line is refused: zdr never trusts a host on first use.
// Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": `[marker] hostnames keytype base64-key [comment]`,
// hostnames comma-separated, `[host]:port` for a port other than 22, or hashed as
// `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`.
import { createHash, createHmac } from "node:crypto";

export interface KnownHostKey {
    /** The hostname patterns of the line, as written. */
    readonly hosts: readonly string[];
    readonly keyType: string;
    /** The public key in SSH wire format (what the host presents). */
    readonly key: Buffer;
    readonly revoked: boolean;
}

/**
 * Parses known_hosts lines (blank lines and `#` comments skipped). Throws on a line that is not
 * one, naming it by its number; `@cert-authority` lines are refused (not supported).
 */
export function parseKnownHosts(lines: readonly string[]): KnownHostKey[] {
    const keys: KnownHostKey[] = [];
    for (const [i, raw] of lines.entries()) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            continue;
        }
        let fields = line.split(/\s+/);
        let revoked = false;
        if (fields[0].startsWith("@")) {
            if (fields[0] !== "@revoked") {
                throw new Error(`known hosts line ${i + 1}: ${fields[0]} is not supported (only plain host keys and @revoked)`);
            }
            revoked = true;
            fields = fields.slice(1);
        }
        const [hosts, keyType, b64] = fields;
        const key = b64 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, "base64") : undefined;
        if (!hosts || !keyType || !key || wireKeyType(key) !== keyType) {
            throw new Error(`known hosts line ${i + 1} is not "host[,host...] key-type base64-key" (as ssh-keyscan prints it): ${JSON.stringify(line.slice(0, 60))}`);
        }
        keys.push({ hosts: hosts.split(","), keyType, key, revoked });
    }
    return keys;
}

/** The key type a wire-format public key names (its first string). */
export function wireKeyType(key: Buffer): string | undefined {
    if (key.length < 4) {
        return undefined;
    }
    const n = key.readUInt32BE(0);
    return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString("latin1") : undefined;
}

/** The fingerprint as `ssh-keygen -l` prints it: SHA256:<base64, no padding>. */
export function fingerprint(key: Buffer): string {
    return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The name known_hosts uses for a host and port: `host` on 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
    return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
    const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
    if (hashed) {
        return createHmac("sha1", Buffer.from(hashed[1], "base64")).update(name).digest("base64") === hashed[2];
    }
    if (pattern.startsWith("!")) {
        return false;
    }
    const glob = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return glob.test(name);
}

function negated(keys: KnownHostKey, name: string): boolean {
    return keys.hosts.some((p) => p.startsWith("!") && patternMatches(p.slice(1), name));
}

/** The keys known for a host (by its known_hosts name). */
export function keysFor(known: readonly KnownHostKey[], host: string, port: number): KnownHostKey[] {
    const name = knownHostsName(host, port);
    return known.filter((k) => !negated(k, name) && k.hosts.some((p) => patternMatches(p, name)));
}

export type HostKeyCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Is `presented` a key the known hosts list for host:port? `label` names the host in the
 * reason (e.g. "web-1 (198.18.0.11:22)"); `source` names where the known hosts come from.
 * `scanned`: the address the host is reached at when `host` is an alias (OpenSSH's
 * HostKeyAlias, e.g. an instance id): the hint then scans that address and writes the alias.
 */
export function checkHostKey(known: readonly KnownHostKey[], host: string, port: number, presented: Buffer, label: string, source: string, scanned?: { readonly host: string; readonly port: number }): HostKeyCheck {
    const name = knownHostsName(host, port);
    const presentedText = `${wireKeyType(presented) ?? "unknown type"} ${fingerprint(presented)}`;
    const listed = keysFor(known, host, port);
    if (listed.some((k) => k.revoked && k.key.equals(presented))) {
        return { ok: false, reason: `host key of ${label} is revoked in ${source} (${presentedText}); refusing to connect` };
    }
    const valid = listed.filter((k) => !k.revoked);
    if (valid.some((k) => k.key.equals(presented))) {
        return { ok: true };
    }
    if (valid.length === 0) {
        return {
            ok: false,
            reason: `host key of ${label} is unknown: ${source} has no line for ${name} and zdr never trusts a host on first use; ` +
                `it presented ${presentedText}. Check that fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and add its line (${keyscanHint(name, scanned ?? { host, port })})`,
        };
    }
    return {
        ok: false,
        reason: `host key of ${label} does not match ${source}: it presented ${presentedText}, ${source} lists ${valid.map((k) => `${k.keyType} ${fingerprint(k.key)}`).join(", ")} for ${name}. ` +
            "Someone may be intercepting the connection, or the host was reinstalled: check the host's fingerprint, then replace its line",
    };
}

/** The command that prints the known_hosts line for `name`, scanning the address the host is reached at. */
function keyscanHint(name: string, at: { readonly host: string; readonly port: number }): string {
    const scan = `ssh-keyscan${at.port === 22 ? "" : ` -p ${at.port}`} ${at.host}`;
    return name === knownHostsName(at.host, at.port) ? scan : `${scan} | sed 's/^[^ ]*/${name}/', the line under ${name}`;
}
