// The app's log on a host: each poll's command runs here in a local shell (the code over SSH runs
// the same text on the server's host). Here `journalctl` is a stand-in on PATH that replays
// entries in `journalctl -o json`'s own format (the fields and cursor form of a real entry) and
// honours -u, -n, --cursor, --after-cursor and `-n 0 --show-cursor` as journalctl does, so that
// the bounds, the cut entry and the errors are tested in a second; the real systemd-journald and
// journalctl run in test/e2e/hosts-app-log.test.ts (a journald per test host).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppLogWatch } from "../../../../src/canary/app-log";
import { hostAppLogMirror, journalCommand, JournalMirror, parseJournalReply } from "../../../../targets/hosts/evidence/app-log";
import type { RemoteRunner } from "../../../../src/canary/remote-log";

const t0 = 1_764_259_198_000;
let seq = 0;
/** One entry as `journalctl -o json` prints it for a service writing to stdout. */
function entry(unit: string, priority: number, message: string, at = t0 + seq, transport = "stdout"): string {
    seq++;
    const cursor = `s=13a21661cf4948289c63075db6c25c00;i=${(0x116f1 + seq).toString(16)};b=81b58db8fd9046ab9f847ddb82a2fa2d;m=${(0x19f0daa + seq).toString(16)};t=${(at * 1000).toString(16)};x=e307daadb48586${seq.toString(16).padStart(2, "0")}`;
    return JSON.stringify({
        __CURSOR: cursor, __REALTIME_TIMESTAMP: String(at * 1000), __MONOTONIC_TIMESTAMP: String(27_200_938 + seq), _BOOT_ID: "81b58db8fd9046ab9f847ddb82a2fa2d",
        PRIORITY: String(priority), SYSLOG_FACILITY: "3", _UID: "1000", _GID: "1000", _CAP_EFFECTIVE: "0", _SELINUX_CONTEXT: "unconfined\n", _MACHINE_ID: "752737531a9d1a9c1e3cb52a4ab967ee",
        _HOSTNAME: "web-1", _TRANSPORT: transport, _STREAM_ID: "4a1c", SYSLOG_IDENTIFIER: "shop", _PID: "4242", _COMM: "node", _EXE: "/usr/bin/node",
        _CMDLINE: "node /opt/shop/server.js", _SYSTEMD_CGROUP: `/system.slice/${unit}`, _SYSTEMD_UNIT: unit, _SYSTEMD_SLICE: "system.slice", _SYSTEMD_INVOCATION_ID: "2f6d", MESSAGE: message,
    });
}

/** A stand-in journalctl: entries from $JOURNAL (one JSON line each, the whole journal), -u, -n, --cursor, --after-cursor, --show-cursor. */
const fakeJournalctl = `#!/usr/bin/env node
const fs = require("fs");
const a = process.argv.slice(2);
if (process.env.JOURNAL_FAIL) { process.stderr.write(process.env.JOURNAL_FAIL + "\\n"); process.exit(1); }
const arg = (k) => { const i = a.indexOf(k); return i < 0 ? undefined : a[i + 1]; };
const all = fs.readFileSync(process.env.JOURNAL, "utf8").split("\\n").filter(Boolean);
if (a.includes("--show-cursor")) { if (all.length === 0) process.exit(1); process.stdout.write("-- cursor: " + JSON.parse(all[all.length - 1]).__CURSOR + "\\n"); process.exit(0); }
const at = (c) => all.findIndex((l) => JSON.parse(l).__CURSOR === c);
let from = 0;
if (arg("--cursor") !== undefined) from = at(arg("--cursor"));
if (arg("--after-cursor") !== undefined) from = at(arg("--after-cursor")) + 1;
let lines = all.slice(from).filter((l) => JSON.parse(l)._SYSTEMD_UNIT === arg("-u"));
if (arg("-n") !== undefined) lines = lines.slice(-Number(arg("-n")));
process.stdout.write(lines.map((l) => l + "\\n").join(""));
`;

describe("the app's log on a host: a file or a journald unit, mirrored over SSH", () => {
    let dir: string;
    let journal: string;
    let env: NodeJS.ProcessEnv;
    const shell: RemoteRunner = (command, maxBytes) =>
        new Promise((resolve, reject) => {
            execFile("sh", ["-c", command], { encoding: "buffer", maxBuffer: maxBytes, timeout: 10_000, env }, (err, stdout, stderr) => {
                const code = err ? (err as { code?: unknown }).code : 0;
                if (err && typeof code !== "number") {
                    reject(err);
                } else {
                    resolve({ exitCode: code as number, stdout, stderr: stderr.toString() });
                }
            });
        });
    const append = (...entries: string[]) => fs.appendFileSync(journal, entries.map((e) => `${e}\n`).join(""));

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-host-app-log-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin/journalctl"), fakeJournalctl, { mode: 0o755 });
        journal = path.join(dir, "journal.jsonl");
        fs.writeFileSync(journal, "");
        env = { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, JOURNAL: journal };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the command quotes the unit and the cursor, and bounds entries and bytes", () => {
        assert.equal(
            journalCommand("shop@web-1.service", { after: "s=1;i=2;x=3" }, { maxEntries: 100, maxBytes: 5000, initialEntries: 10 }),
            `command -v journalctl >/dev/null || { echo "journalctl is not installed" >&2; exit 3; }; { journalctl -q --no-pager -o json -u shop@web-1.service --after-cursor 's=1;i=2;x=3' || echo "journalctl exited with $?" >&2; } | head -n 100 | head -c 5000`,
        );
        assert.match(journalCommand("shop.service", undefined, { maxEntries: 100, maxBytes: 5000, initialEntries: 10 }), /; journalctl -q --no-pager -n 0 --show-cursor 2>\/dev\/null; \{ journalctl -q --no-pager -o json -u shop\.service -n 10 \|\|/);
        assert.match(journalCommand("shop.service", { at: "s=1;i=9" }, { maxEntries: 100, maxBytes: 5000, initialEntries: 10 }), /-u shop\.service --cursor 's=1;i=9' \|\|/);
    });

    it("an entry cut by the byte bound waits for the next poll, with the cursor before it", () => {
        const a = entry("shop.service", 6, "one");
        const b = entry("shop.service", 3, "two");
        const r = parseJournalReply(Buffer.from(`${a}\n${b.slice(0, 40)}`), { after: "s=0" });
        assert.deepEqual(r.entries, [a]);
        assert.deepEqual(r.cursor, { after: JSON.parse(a).__CURSOR });
        assert.deepEqual(parseJournalReply(Buffer.from(""), { after: "s=0" }), { entries: [], cursor: { after: "s=0" } });
    });

    it("the first poll's journal end is where the next starts while the unit has no entry; its last entry once it has", () => {
        const a = entry("shop.service", 6, "one");
        assert.deepEqual(parseJournalReply(Buffer.from("-- cursor: s=5;i=7\n"), undefined), { entries: [], cursor: { at: "s=5;i=7" } });
        assert.deepEqual(parseJournalReply(Buffer.from(`-- cursor: s=5;i=7\n${a}\n`), undefined), { entries: [a], cursor: { after: JSON.parse(a).__CURSOR } });
    });

    it("reads the unit's last entries first, then only those after the cursor; another unit's are not read", async () => {
        append(...Array.from({ length: 5 }, (_, i) => entry("shop.service", 6, `listening ${i}`)), entry("other.service", 3, "not ours"));
        const local = path.join(dir, "web-1.journal");
        const m = new JournalMirror(shell, "shop.service", local, { maxEntries: 2, maxBytes: 1 << 20, initialEntries: 3 });
        await m.catchUp();
        assert.deepEqual(fs.readFileSync(local, "utf8").trim().split("\n").map((l) => JSON.parse(l).MESSAGE), ["listening 2", "listening 3", "listening 4"]);
        append(...["a", "b", "c", "d", "e"].map((x) => entry("shop.service", 3, `order ${x} not saved`)));
        assert.equal(await m.poll(), 2, "bounded by maxEntries");
        await m.catchUp();
        assert.equal(await m.poll(), 0);
        assert.deepEqual(fs.readFileSync(local, "utf8").trim().split("\n").map((l) => JSON.parse(l).MESSAGE).slice(3), ["order a not saved", "order b not saved", "order c not saved", "order d not saved", "order e not saved"]);
    });

    it("a unit with no entry at the first poll: every entry it logs after is read, more than the first poll's count too", async () => {
        append(entry("other.service", 6, "another unit's line"));
        const local = path.join(dir, "web-1.journal");
        const m = new JournalMirror(shell, "shop.service", local, { maxEntries: 4, maxBytes: 1 << 20, initialEntries: 2 });
        assert.equal(await m.poll(), 0);
        assert.equal(await m.poll(), 0, "still nothing: the cursor stays at the journal's end");
        append(...Array.from({ length: 7 }, (_, i) => entry("shop.service", 6, `line ${i}`)));
        await m.catchUp();
        assert.deepEqual(fs.readFileSync(local, "utf8").trim().split("\n").map((l) => JSON.parse(l).MESSAGE), Array.from({ length: 7 }, (_, i) => `line ${i}`));
    });

    it("a journalctl that fails: the error names the unit, the host and the key", async () => {
        env = { ...env, JOURNAL_FAIL: "Failed to open journal: Permission denied" };
        const m = new JournalMirror(shell, "shop.service", path.join(dir, "x.journal"), undefined, "web-1 (198.18.0.11:22)");
        await assert.rejects(m.poll(), /^Error: cannot read the journal of shop\.service on web-1 \(198\.18\.0\.11:22\) \(zdr:appLogUnit\): exit 0: Failed to open journal: Permission denied\njournalctl exited with 1$/);
    });

    it("a missing app log file: the error names the file, the host and the key", async () => {
        const m = hostAppLogMirror(shell, { file: path.join(dir, "no such.log") }, path.join(dir, "m.log"), "web-2 (198.18.0.12:22)");
        await assert.rejects(m.catchUp(), /^Error: cannot read the app's log \S+no such\.log on web-2 \(198\.18\.0\.12:22\) \(zdr:appLogFile\): exit 3/);
    });

    it("journald's error entries (PRIORITY <= 3) become templates of their MESSAGE; a stable server's recent ones are known", async () => {
        append(entry("shop@web-2.service", 3, "cache warm-up failed for shard 3"));
        const mirrors = {
            "web-1": new JournalMirror(shell, "shop@web-1.service", path.join(dir, "web-1.journal")),
            "web-2": new JournalMirror(shell, "shop@web-2.service", path.join(dir, "web-2.journal")),
        };
        await Promise.all(Object.values(mirrors).map((m) => m.catchUp()));
        const watch = new AppLogWatch({ "web-1": mirrors["web-1"].localFile, "web-2": mirrors["web-2"].localFile }, "web-1");
        append(
            entry("shop@web-1.service", 3, "loyalty points not credited for request 17: points service refused", t0 + 100),
            entry("shop@web-1.service", 6, "GET /orders 200 failed over to replica", t0 + 110, "journal"),
            entry("shop@web-1.service", 3, "cache warm-up failed for shard 5", t0 + 120),
            entry("shop@web-2.service", 4, "slow query: 1200 ms", t0 + 130),
        );
        await Promise.all(Object.values(mirrors).map((m) => m.catchUp()));
        watch.poll(t0 + 1000);
        assert.deepEqual(watch.take("web-1", t0 + 105), ["log: loyalty points not credited for request <num>: points service refused"], "stamped with its own time");
        assert.equal(watch.take("web-1"), undefined, "the known template and the line sent at info level are not signatures");
        assert.equal(watch.take("web-2"), undefined, "a warning is no error");
        assert.deepEqual(watch.templates().map((t) => [t.template, t.canaryLines, t.baselineLines, t.known ?? false]), [
            ["loyalty points not credited for request <num>: points service refused", 1, 0, false],
            ["cache warm-up failed for shard <num>", 1, 0, true],
        ]);
    });
});
