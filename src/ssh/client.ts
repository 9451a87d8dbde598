// zdr's SSH transport (the hosts target), with the ssh2 library: commands on a host with their
// exit code and output, a stream to a UNIX socket on the host (HAProxy's admin socket, by
// OpenSSH's streamlocal forwarding), and a TCP stream from the host (the app's health check).
// Every host key is checked against the configured known hosts before anything is sent; an
// unknown host is refused. One connection per host and key is kept and reused while in use
// (a reattach polls HAProxy every 50 ms) and closed after a few idle seconds.
// The private key never appears in a message: every error text passes redact().
import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";
import { Client, type ClientChannel } from "ssh2";
import { checkHostKey, parseKnownHosts } from "./known-hosts";
import type { SshHost } from "../../contract/ssh";

export interface CommandResult {
    /** null when the command ended on a signal. */
    readonly exitCode: number | null;
    readonly signal?: string;
    /** At most the last 64 KiB of each. */
    readonly stdout: string;
    readonly stderr: string;
    readonly durationMs: number;
}

/** A failure of the SSH transport (not of the command): unreachable, refused key, lost connection. */
export class SshError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SshError";
    }
}

const keep = 64 * 1024;
const idleCloseMs = 5000;
const knownHostsSource = "zdr:knownHosts";

export function describeHost(t: SshHost): string {
    const where = `${t.host}:${t.port ?? 22}`;
    return t.label && t.label !== t.host ? `${t.label} (${where})` : where;
}

/** The message with any line of the private key replaced: nothing of the key leaves zdr. */
export function redact(message: string, t: Pick<SshHost, "privateKey">): string {
    let out = message;
    for (const line of t.privateKey.split("\n").map((l) => l.trim()).filter((l) => l.length >= 16 && !l.startsWith("-----"))) {
        out = out.split(line).join("[redacted]");
    }
    return out;
}

/** argv as one POSIX shell word list: each argument single-quoted. */
export function shellQuote(argv: readonly string[]): string {
    return argv.map((a) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.split("'").join(`'\\''`)}'`)).join(" ");
}

interface Pooled {
    readonly client: Promise<Client>;
    users: number;
    idle?: NodeJS.Timeout;
}

const pool = new Map<string, Pooled>();

function poolKey(t: SshHost): string {
    const h = createHash("sha256").update(t.privateKey).update("\0").update(t.knownHosts.join("\n")).update("\0").update(t.hostKeyAlias ?? "").digest("hex");
    return `${t.user}@${t.host}:${t.port ?? 22}#${h}`;
}

function why(e: Error & { code?: string; level?: string }, t: SshHost, timeoutMs: number): string {
    const code = e.code ?? "";
    if (code === "ECONNREFUSED") {
        return `connection refused on port ${t.port ?? 22} (is sshd running there?)`;
    }
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
        return "host unreachable";
    }
    if (code === "ETIMEDOUT" || /Timed out while waiting for handshake/.test(e.message)) {
        return `no answer within ${timeoutMs} ms`;
    }
    if (e.level === "client-authentication" || /authentication methods failed/.test(e.message)) {
        return `the key in zdr:sshPrivateKey is not accepted for the user ${t.user}`;
    }
    return e.message;
}

function open(t: SshHost): Promise<Client> {
    const label = describeHost(t);
    const timeoutMs = t.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
        let known;
        try {
            known = parseKnownHosts(t.knownHosts);
        } catch (e) {
            reject(new SshError(`${knownHostsSource}: ${(e as Error).message}`));
            return;
        }
        const client = new Client();
        let hostKeyProblem: string | undefined;
        let settled = false;
        const fail = (message: string) => {
            clearTimeout(timer);
            if (!settled) {
                settled = true;
                reject(new SshError(redact(message, t)));
            }
            client.end();
        };
        // ssh2's readyTimeout does not bound the TCP connect to a host that never answers
        const timer = setTimeout(() => {
            fail(`cannot reach ${label} over SSH: no answer within ${timeoutMs} ms`);
            client.destroy();
        }, timeoutMs);
        client.once("ready", () => {
            clearTimeout(timer);
            settled = true;
            resolve(client);
        });
        client.on("error", (e: Error) => fail(hostKeyProblem ?? `cannot reach ${label} over SSH: ${why(e, t, timeoutMs)}`));
        client.once("close", () => fail(hostKeyProblem ?? `cannot reach ${label} over SSH: the connection closed during the handshake`));
        try {
            client.connect({
                host: t.host,
                port: t.port ?? 22,
                username: t.user,
                privateKey: t.privateKey,
                readyTimeout: timeoutMs,
                keepaliveInterval: 2000,
                keepaliveCountMax: 3,
                hostVerifier: (key: Buffer) => {
                    const check = t.hostKeyAlias
                        ? checkHostKey(known, t.hostKeyAlias, 22, key, label, knownHostsSource, { host: t.host, port: t.port ?? 22 })
                        : checkHostKey(known, t.host, t.port ?? 22, key, label, knownHostsSource);
                    if (!check.ok) {
                        hostKeyProblem = check.reason;
                    }
                    return check.ok;
                },
            });
        } catch (e) {
            // ssh2 parses the key synchronously; its message names the problem, never the key
            fail(`zdr:sshPrivateKey: cannot be used to log in to ${label}: ${(e as Error).message}`);
        }
    });
}

/** A connection to the host, shared while in use; release() lets it close after a few idle seconds. */
async function acquire(t: SshHost): Promise<{ client: Client; release: () => void; discard: () => void }> {
    const key = poolKey(t);
    let entry = pool.get(key);
    if (!entry) {
        const created: Pooled = { client: open(t), users: 0 };
        entry = created;
        pool.set(key, created);
        created.client.then(
            (c) => c.once("close", () => pool.get(key) === created && pool.delete(key)),
            () => pool.get(key) === created && pool.delete(key),
        );
    }
    const e = entry;
    e.users++;
    clearTimeout(e.idle);
    let client: Client;
    try {
        client = await e.client;
    } catch (err) {
        e.users--;
        throw err;
    }
    let released = false;
    const release = () => {
        if (released) {
            return;
        }
        released = true;
        e.users--;
        if (e.users === 0) {
            e.idle = setTimeout(() => {
                if (e.users === 0 && pool.get(key) === e) {
                    pool.delete(key);
                    client.end();
                }
            }, idleCloseMs);
            e.idle.unref();
        }
    };
    const discard = () => {
        if (pool.get(key) === e) {
            pool.delete(key);
        }
        release();
        client.end();
    };
    return { client, release, discard };
}

/** Closes every pooled connection (tests; the provider exits with its engine). */
export async function closeAllSsh(): Promise<void> {
    const entries = [...pool.values()];
    pool.clear();
    await Promise.all(entries.map(async (e) => {
        clearTimeout(e.idle);
        try {
            (await e.client).end();
        } catch {
            // never opened
        }
    }));
}

/**
 * Opens a channel on a pooled connection; a connection that died since its last use (sshd
 * restarted, a network blip) is replaced once.
 */
async function withChannel(t: SshHost, openChannel: (c: Client, cb: (err: Error | undefined, ch: ClientChannel) => void) => void, what: string): Promise<{ channel: ClientChannel; client: Client; done: () => void }> {
    for (let attempt = 0; ; attempt++) {
        const conn = await acquire(t);
        try {
            const channel = await new Promise<ClientChannel>((resolve, reject) => {
                // a pooled connection to a host that went away answers nothing until its keep-alives give up
                const timer = setTimeout(() => reject(new Error(`no answer within ${t.connectTimeoutMs ?? 10_000} ms`)), t.connectTimeoutMs ?? 10_000);
                try {
                    openChannel(conn.client, (err, ch) => {
                        clearTimeout(timer);
                        if (err) {
                            reject(err);
                        } else {
                            resolve(ch);
                        }
                    });
                } catch (e) {
                    clearTimeout(timer);
                    reject(e);
                }
            });
            return { channel, client: conn.client, done: conn.release };
        } catch (e) {
            const message = (e as Error).message;
            // the server refusing the channel is an answer; anything else is a connection gone stale
            const stale = !/Channel open failure/i.test(message);
            conn.discard();
            if (stale && attempt === 0) {
                continue;
            }
            throw new SshError(redact(`${describeHost(t)}: ${what}: ${message}`, t));
        }
    }
}

/**
 * Where a command's stdout goes as it arrives: the last bytes of a command's output (sshRun), or
 * every byte up to a bound, beyond which the command fails (sshReadOutput: data).
 */
export interface ByteCollector {
    /** Takes a chunk; returns why the command must stop (too much output), else undefined. */
    add(chunk: Buffer): string | undefined;
    /** What was kept. */
    bytes(): Buffer;
}

/** Keeps the last `limit` bytes. */
export function tailCollector(limit: number): ByteCollector {
    let chunks: Buffer[] = [];
    let size = 0;
    return {
        add(chunk) {
            chunks.push(chunk);
            size += chunk.length;
            if (size > 2 * limit) {
                const all = Buffer.concat(chunks);
                chunks = [all.subarray(all.length - limit)];
                size = limit;
            }
            return undefined;
        },
        bytes() {
            const all = Buffer.concat(chunks);
            return all.length > limit ? all.subarray(all.length - limit) : all;
        },
    };
}

/** Keeps every byte; more than maxBytes is an error naming `what`. */
export function boundedCollector(maxBytes: number, what: string): ByteCollector {
    const chunks: Buffer[] = [];
    let size = 0;
    return {
        add(chunk) {
            size += chunk.length;
            if (size > maxBytes) {
                return `${what} wrote more than ${maxBytes} bytes`;
            }
            chunks.push(chunk);
            return undefined;
        },
        bytes: () => Buffer.concat(chunks),
    };
}

interface ExecResult {
    readonly exitCode: number | null;
    readonly signal?: string;
    readonly stdout: Buffer;
    readonly stderr: string;
    readonly durationMs: number;
}

/**
 * The one exec loop: runs `command` on the host, stdout into `collector`, the last 64 KiB of
 * stderr kept. Resolves with its exit code whatever it is; rejects (SshError) when the host cannot
 * be reached, its key is refused, the connection is lost before the command ends, the command runs
 * past timeoutMs (its session is sent KILL and closed) or the collector refuses more output.
 * `showStdout`: whether a failure's message may quote stdout (not for data).
 */
async function exec(t: SshHost, command: string, timeoutMs: number, collector: ByteCollector, showStdout: boolean): Promise<ExecResult> {
    const start = Date.now();
    const label = describeHost(t);
    const { channel, client, done } = await withChannel(t, (c, cb) => c.exec(command, cb), `cannot start \`${command}\``);
    return new Promise<ExecResult>((resolve, reject) => {
        let stderr = "";
        let exitCode: number | null = null;
        let signal: string | undefined;
        let exited = false;
        let settled = false;
        const finish = (error?: string) => {
            if (settled) {
                return;
            }
            settled = true;
            clearTimeout(timer);
            client.removeListener("close", lost);
            done();
            if (error) {
                try {
                    channel.signal("KILL");
                } catch {
                    // the channel is closing already
                }
                try {
                    channel.close();
                } catch {
                    // closing already
                }
                const output = `${stderr}${showStdout ? collector.bytes().toString("utf8") : ""}`.trim();
                reject(new SshError(redact(`${error}${output ? `; its output so far:\n${output.slice(-2000)}` : ""}`, t)));
            } else {
                resolve({ exitCode, ...(signal ? { signal } : {}), stdout: collector.bytes(), stderr, durationMs: Date.now() - start });
            }
        };
        const lost = () => finish(`the SSH connection to ${label} was lost while \`${command}\` ran (after ${Date.now() - start} ms); whether it finished on the host is unknown`);
        client.once("close", lost);
        const timer = setTimeout(() => finish(`\`${command}\` on ${label} ran past its ${timeoutMs} ms limit; zdr closed its session`), timeoutMs);
        channel.on("data", (d: Buffer) => {
            const refused = collector.add(d);
            if (refused) {
                finish(refused);
            }
        });
        channel.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString("utf8")).slice(-keep)));
        channel.on("exit", (code: number | null, sig?: string) => {
            exited = true;
            exitCode = code ?? null;
            signal = sig ?? undefined;
        });
        channel.on("close", () => (exited ? finish() : lost()));
    });
}

/**
 * Runs a shell command on the host (the user's login shell parses it). Resolves with its exit
 * code and output, whatever the code; rejects (SshError) when the host cannot be reached, its key
 * is refused, the connection is lost before the command ends, or it runs past timeoutMs.
 */
export async function sshRun(t: SshHost, command: string, opts: { timeoutMs: number }): Promise<CommandResult> {
    const r = await exec(t, command, opts.timeoutMs, tailCollector(keep), true);
    return { ...r, stdout: r.stdout.toString("utf8") };
}

/** A stream to a UNIX socket on the host (OpenSSH's streamlocal forwarding); the caller ends it. */
export async function sshStreamLocal(t: SshHost, socketPath: string): Promise<Duplex> {
    const { channel, done } = await withChannel(t, (c, cb) => c.openssh_forwardOutStreamLocal(socketPath, cb), `cannot open the UNIX socket ${socketPath} on the host (does it exist, and may ${t.user} open it?)`);
    channel.once("close", done);
    return channel;
}

/** A TCP stream that the host opens to address:port (direct-tcpip); the caller ends it. */
export async function sshForwardTcp(t: SshHost, address: string, port: number): Promise<Duplex> {
    const { channel, done } = await withChannel(t, (c, cb) => c.forwardOut("127.0.0.1", 0, address, port, cb), `cannot connect from the host to ${address}:${port}`);
    channel.once("close", done);
    return channel;
}

/**
 * Runs a command whose stdout is data (bytes, kept whole up to maxBytes; more is an error): the
 * canary judge's mirror of HAProxy's log on its host (src/canary/remote-log.ts). Rejects
 * (SshError) as sshRun does, and when stdout passes maxBytes.
 */
export async function sshReadOutput(t: SshHost, command: string, opts: { timeoutMs: number; maxBytes: number }): Promise<{ exitCode: number | null; stdout: Buffer; stderr: string }> {
    const r = await exec(t, command, opts.timeoutMs, boundedCollector(opts.maxBytes, `\`${command}\` on ${describeHost(t)}`), false);
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
