// An ed25519 key pair in OpenSSH's formats, made with node:crypto.
// Why not ssh2's utils.generateKeyPairSync: it drops a leading zero byte of the public key (about
// 1 key in 140), and then neither ssh2 nor OpenSSH can load the private key it wrote
// ("Malformed OpenSSH private key", ssh-keygen "error in libcrypto"). Node's JWK export gives both
// halves at their fixed 32 bytes; the OpenSSH container around them is PROTOCOL.key (unencrypted).
import { generateKeyPairSync, randomBytes } from "node:crypto";

const KEY_TYPE = "ssh-ed25519";

/** An SSH wire string: a 4-byte big-endian length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(value);
    return out;
}

export interface Ed25519KeyPair {
    /** "ssh-ed25519 AAAA... <comment>", as in an OpenSSH .pub file. */
    readonly publicKey: string;
    /** The public key's wire blob (what a fingerprint hashes). */
    readonly publicBlob: Buffer;
    /** "-----BEGIN OPENSSH PRIVATE KEY-----" text, unencrypted. */
    readonly privateKey: string;
}

/** A new ed25519 key pair with `comment`. */
export function generateEd25519(comment: string): Ed25519KeyPair {
    const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
    const pub = Buffer.from(jwk.x as string, "base64url");
    const seed = Buffer.from(jwk.d as string, "base64url");
    if (pub.length !== 32 || seed.length !== 32) throw new Error(`ed25519 key of ${pub.length}/${seed.length} bytes; 32/32 expected`);
    const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
    const check = randomBytes(4);
    let secret = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
    // padding 1, 2, 3 ... to the cipher's block size (8 for "none")
    const pad = (8 - (secret.length % 8)) % 8;
    secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"),
        sshString("none"), sshString("none"), sshString(""),
        uint32(1), sshString(publicBlob), sshString(secret),
    ]);
    const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
    return {
        publicKey: `${KEY_TYPE} ${publicBlob.toString("base64")} ${comment}`,
        publicBlob,
        privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
    };
}
