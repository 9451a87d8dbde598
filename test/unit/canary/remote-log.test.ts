// The mirror of HAProxy's log on its host: the command each poll runs is run here by a local
// shell on a temporary file (the code over SSH runs the same text on the HAProxy host).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LogMirror, mirrorCommand, parseMirrorReply, planAppend, RemoteRunner } from "../../../src/canary/remote-log";
import { followRequests, readFrom, LoggedRequest } from "../../../src/canary/evidence";

/** Runs the poll's command with sh on this machine, stdout bounded as over SSH. */
const localShell: RemoteRunner = (command, maxBytes) =>
    new Promise((resolve, reject) => {
        execFile("sh", ["-c", command], { encoding: "buffer", maxBuffer: maxBytes, timeout: 10_000 }, (err, stdout, stderr) => {
            const code = err ? (err as { code?: unknown }).code : 0;
            if (err && typeof code !== "number") {
                reject(err);
            } else {
                resolve({ exitCode: code as number, stdout, stderr: stderr.toString() });
            }
        });
    });

const line = (t: number, server: string, status = 200) => `${t} ${server} ${status} 3 4 GET /products {}\n`;

describe("the mirror of HAProxy's log on its host", () => {
    let dir: string;
    let remote: string;
    let local: string;
    const limits = { maxBytes: 1000, initialBytes: 500 };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-mirror-"));
        remote = path.join(dir, "haproxy log's file"); // a name the command must quote
        local = path.join(dir, "mirror.log");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("starts initialBytes before the end, on a whole line", async () => {
        const lines = Array.from({ length: 100 }, (_, i) => line(1_764_000_000_000 + i, "web-1"));
        fs.writeFileSync(remote, lines.join(""));
        const m = new LogMirror(localShell, remote, local, limits);
        assert.equal(await m.poll(), 500);
        const mirrored = fs.readFileSync(local, "utf8");
        assert.ok(mirrored.length < 500 && mirrored.length > 500 - lines[0].length, `${mirrored.length} bytes`);
        assert.ok(lines.join("").endsWith(mirrored), "the log's last whole lines");
        assert.ok(mirrored.startsWith("17640000000"), mirrored.slice(0, 40));
    });

    it("brings only the bytes written since the last poll, a line cut in the middle finished by the next", async () => {
        fs.writeFileSync(remote, line(1_764_000_000_000, "web-1"));
        const m = new LogMirror(localShell, remote, local, limits);
        await m.poll();
        const half = line(1_764_000_000_001, "web-2");
        fs.appendFileSync(remote, half.slice(0, 10));
        assert.equal(await m.poll(), 10);
        fs.appendFileSync(remote, half.slice(10) + line(1_764_000_000_002, "web-3"));
        await m.poll();
        assert.equal(await m.poll(), 0);
        assert.equal(fs.readFileSync(local, "utf8"), fs.readFileSync(remote, "utf8"));
    });

    it("brings at most maxBytes a poll, and catches up in several", async () => {
        fs.writeFileSync(remote, "");
        const m = new LogMirror(localShell, remote, local, limits);
        await m.poll();
        fs.appendFileSync(remote, Array.from({ length: 80 }, (_, i) => line(1_764_000_000_000 + i, "web-1")).join("")); // 80 x 42 bytes
        assert.equal(await m.poll(), 1000);
        await m.catchUp();
        assert.equal(fs.readFileSync(local, "utf8"), fs.readFileSync(remote, "utf8"));
    });

    it("reads a truncated log from its start", async () => {
        fs.writeFileSync(remote, line(1_764_000_000_000, "web-1") + line(1_764_000_000_001, "web-1"));
        const m = new LogMirror(localShell, remote, local, limits);
        await m.poll();
        fs.writeFileSync(remote, line(1_764_000_000_002, "web-2")); // shorter than before, same file
        await m.poll();
        assert.deepEqual(fs.readFileSync(local, "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")[1]), ["web-1", "web-1", "web-2"]);
    });

    it("reads a rotated log (another file at the path, already longer) from its start, and a cut line stays apart", async () => {
        fs.writeFileSync(remote, line(1_764_000_000_000, "web-1") + "1764000000001 web-1 2");
        const m = new LogMirror(localShell, remote, local, limits);
        await m.poll();
        fs.renameSync(remote, `${remote}.1`);
        fs.writeFileSync(remote, line(1_764_000_000_002, "web-2") + line(1_764_000_000_003, "web-2") + line(1_764_000_000_004, "web-3"));
        await m.poll();
        const requests: LoggedRequest[] = [];
        followRequests(local, 1_764_000_000_000).read((f, offset) => readFrom(f, offset, (r) => void requests.push(r)));
        assert.deepEqual(requests.map((r) => `${r.t} ${r.server}`), ["1764000000000 web-1", "1764000000002 web-2", "1764000000003 web-2", "1764000000004 web-3"]);
    });

    it("says which file it cannot read, naming the key", async () => {
        const m = new LogMirror(localShell, path.join(dir, "missing.log"), local, limits, "the HAProxy host (198.18.0.10:22)");
        await assert.rejects(m.poll(), /^Error: cannot read HAProxy's request log \S+missing\.log on the HAProxy host \(198\.18\.0\.10:22\) \(zdr:haproxyLogFile\): exit 3: stat: cannot statx? /);
    });

    describe("planning (pure)", () => {
        const read = (start: number, text: string, inode = 7) => ({ size: start + text.length, inode, start, bytes: Buffer.from(text) });
        const cases: { name: string; cursor: { offset?: number; inode?: number }; read: ReturnType<typeof read>; endsLine: boolean; append: string; offset: number }[] = [
            { name: "a first read from the start keeps every byte", cursor: {}, read: read(0, "a\nb\n"), endsLine: true, append: "a\nb\n", offset: 4 },
            { name: "a first read inside the file drops the cut line", cursor: {}, read: read(100, "cut\nb\n"), endsLine: true, append: "b\n", offset: 106 },
            { name: "a continuation keeps every byte", cursor: { offset: 100, inode: 7 }, read: read(100, "ne\nc\n"), endsLine: false, append: "ne\nc\n", offset: 105 },
            { name: "a restart after a cut line starts a new line", cursor: { offset: 100, inode: 7 }, read: read(0, "x\n", 8), endsLine: false, append: "\nx\n", offset: 2 },
            { name: "nothing new", cursor: { offset: 100, inode: 7 }, read: read(100, ""), endsLine: true, append: "", offset: 100 },
        ];
        for (const c of cases) {
            it(c.name, () => {
                const p = planAppend(c.cursor, c.read, c.endsLine);
                assert.equal(p.append.toString(), c.append);
                assert.deepEqual(p.cursor, { offset: c.offset, inode: c.read.inode });
            });
        }

        it("parses the header and keeps the bytes after it as they are", () => {
            assert.deepEqual(parseMirrorReply(Buffer.from("120 33 20\nab\ncd")), { size: 120, inode: 33, start: 20, bytes: Buffer.from("ab\ncd") });
            assert.throws(() => parseMirrorReply(Buffer.from("sh: stat: not found")), /unexpected answer/);
        });

        it("quotes the path and bounds the read", () => {
            const cmd = mirrorCommand("/var/log/it's.log", { offset: 42, inode: 9 }, { maxBytes: 4096, initialBytes: 1 << 20 });
            assert.ok(cmd.includes(`'/var/log/it'\\''s.log'`), cmd);
            assert.ok(cmd.endsWith("| head -c 4096"), cmd);
            assert.ok(cmd.includes('o=42; if [ "$size" -lt "$o" ] || [ "$ino" != "9" ]; then o=0; fi'), cmd);
        });
    });
});
