// Log rotation on the local default: scripts/local/log-writer.js rotates a process's output at a
// size limit (whole lines, N old files kept), and the evidence readers follow a log across it.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageRoot } from "../../../src/package-root";
import { FollowedLog } from "../../../src/canary/rotated-log";
import { readLines } from "../../../src/canary/log-files";
import { requestsOf } from "../../../src/canary/evidence";
import { LiveJudgement } from "../../../src/canary/live";

describe("log rotation on the local default", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-rotation-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the log writer rotates at the size limit on a line's end and keeps N old files", async () => {
        const file = path.join(dir, "app.log");
        const writer = spawn(process.execPath, [path.join(packageRoot, "scripts/local/log-writer.js"), file, "4096", "3"], { stdio: ["pipe", "ignore", "inherit"] });
        const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${"x".repeat(i % 40)}`);
        for (let i = 0; i < lines.length; i += 10) {
            writer.stdin.write(`${lines.slice(i, i + 10).join("\n")}\n`);
            await new Promise((r) => setImmediate(r));
        }
        writer.stdin.end();
        const code = await new Promise((r) => writer.once("exit", r));
        assert.equal(code, 0);
        const files = [`${file}.3`, `${file}.2`, `${file}.1`, file];
        assert.ok(!fs.existsSync(`${file}.4`), "only 3 old files kept");
        const kept: string[] = [];
        for (const f of files) {
            const text = fs.readFileSync(f, "utf8");
            assert.ok(fs.statSync(f).size <= 4096, `${f}: ${fs.statSync(f).size} bytes`);
            assert.ok(text.endsWith("\n"), `${f} ends with a whole line`);
            kept.push(...text.split("\n").slice(0, -1));
        }
        // what is kept is the newest lines, whole and in order
        assert.deepEqual(kept, lines.slice(lines.length - kept.length));
        assert.ok(kept.length > 200, `${kept.length}`);
    });

    it("a followed log reads the rest of the old file after a rotation, then the new one", () => {
        const file = path.join(dir, "haproxy.log");
        fs.writeFileSync(file, "a1\na2\n");
        const log = new FollowedLog(file, 0);
        const seen: string[] = [];
        const reader = (f: string, offset: number) => readLines(f, offset, (l) => seen.push(`${path.basename(f)}:${l}`));
        log.read(reader);
        fs.appendFileSync(file, "a3\n");
        fs.renameSync(file, `${file}.1`);
        fs.writeFileSync(file, "b1\n");
        log.read(reader);
        fs.appendFileSync(file, "b2\n");
        log.read(reader);
        assert.deepEqual(seen, ["haproxy.log:a1", "haproxy.log:a2", "haproxy.log.1:a3", "haproxy.log:b1", "haproxy.log:b2"]);
    });

    const t0 = 1_767_225_600_000;
    const line = (i: number) => `${t0 + i * 10} web-${1 + (i % 3)} 200 ${3 + (i % 5)} 9 GET /products {}`;

    it("reads a window that starts in the rotated file and ends in the new one", () => {
        const file = path.join(dir, "haproxy.log");
        // 20,000 requests, 10 ms apart; rotated after the 12,000th
        fs.writeFileSync(`${file}.1`, `${Array.from({ length: 12_000 }, (_, i) => line(i)).join("\n")}\n`);
        fs.writeFileSync(file, `${Array.from({ length: 8_000 }, (_, i) => line(12_000 + i)).join("\n")}\n`);
        const got = requestsOf(file, ["web-1", "web-2", "web-3"], t0 + 100_000, t0 + 150_000);
        assert.equal(got.length, 5001);
        assert.equal(got[0].t, t0 + 100_000);
        assert.equal(got[got.length - 1].t, t0 + 150_000);
        // a window wholly in the new file does not read the old one
        assert.equal(requestsOf(file, ["web-1"], t0 + 190_000, t0 + 199_990).length, 333);
    });

    it("a live judgement follows HAProxy's log across a rotation between two looks", () => {
        const file = path.join(dir, "haproxy.log");
        fs.writeFileSync(file, `${Array.from({ length: 3000 }, (_, i) => line(i)).join("\n")}\n`);
        const live = new LiveJudgement({ requestLog: file, canary: "web-1", baseline: ["web-2", "web-3"], from: t0 + 20_000 });
        live.poll();
        assert.equal(live.progress().canaryStats.requests + live.progress().baselineStats.requests, 1000);
        fs.appendFileSync(file, `${line(3000)}\n${line(3001)}\n`);
        fs.renameSync(file, `${file}.1`);
        fs.writeFileSync(file, `${Array.from({ length: 100 }, (_, i) => line(3002 + i)).join("\n")}\n`);
        live.poll();
        const p = live.progress();
        assert.equal(p.canaryStats.requests + p.baselineStats.requests, 1102, "the old file's last lines and the new file's, each once");
    });
});
