import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineAddress } from "../../../provider/canary/engine-log";
import { formatProgress, LiveJudgement } from "../../../src/canary/live";
import { main } from "../../../src/cli";

describe("a canary judged live from the local evidence", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-live-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads only what was logged since the last poll, in the window, and says where it stands in one line", () => {
        const log = path.join(dir, "haproxy.log");
        const from = 1_767_225_600_000;
        // before the window: the baseline's last minute (the tail threshold), and the canary's start
        const before = Array.from({ length: 400 }, (_, i) => `${from - 50_000 + i * 100} web-${2 + (i % 2)} 200 ${3 + (i % 10)} 10 GET /products {}`);
        fs.writeFileSync(log, `${before.join("\n")}\n${from - 10} web-1 200 50 51 GET /products {}\n`);
        const live = new LiveJudgement({ requestLog: log, canary: "web-1", baseline: ["web-2", "web-3"], from });
        const lines: string[] = [];
        for (let i = 0; i < 300; i++) {
            const server = ["web-1", "web-2", "web-3"][i % 3];
            const failed = server === "web-1" && i % 30 === 0;
            lines.push(`${from + i * 10} ${server} ${failed ? 500 : 200} ${server === "web-1" ? 8 : 4} 9 ${failed ? "POST /orders/17" : "GET /products"} {}`);
        }
        fs.appendFileSync(log, `${lines.slice(0, 150).join("\n")}\n`);
        live.poll();
        assert.equal(live.progress(from + 1500).canaryStats.requests, 50);
        fs.appendFileSync(log, `${lines.slice(150).join("\n")}\n`);
        live.poll();
        const p = live.progress(from + 3000);
        assert.deepEqual(p.canaryStats, { requests: 100, failed: 10, p50: 8, p99: 8 });
        assert.deepEqual(p.baselineStats, { requests: 200, failed: 0, p50: 4, p99: 4 });
        const line = formatProgress(p, 120);
        assert.match(line, /^web-1 3 s\/120 s: canary 100 req 10\.0% failed p50 8 p99 8 ms \| baseline 200 req 0\.0% failed p50 4 p99 4 ms \| evidence .*error-rate -?[\d.]+.* \(fails at 0\) \| (undecided|fail after \d+ canary requests)$/);
        assert.ok(p.judgement.checks.some((c) => c.name === "new-error: 500 POST /orders/<id>"), "a failed request without x-error is signed by its status, method and route");
    });

    it("finds the engine's address among the provider's arguments", () => {
        assert.equal(engineAddress(["--logtostderr", "-v=9", "--tracing", "file:/tmp/t", "127.0.0.1:4321"]), "127.0.0.1:4321");
        assert.equal(engineAddress([]), undefined);
    });

    it("zdr watch prints a line every look until the verdict, then the judgement, and exits 1 on a failing canary", async () => {
        const log = path.join(dir, "haproxy.log");
        const now = Date.now();
        const lines: string[] = [];
        for (let i = 0; i < 3000; i++) {
            const server = ["web-1", "web-2", "web-3"][i % 3];
            const failed = server === "web-1" && i % 4 === 0;
            lines.push(`${now - 30_000 + i * 10} ${server} ${failed ? 503 : 200} 4 5 GET /products {}`);
        }
        fs.writeFileSync(log, `${lines.join("\n")}\n`);
        let out = "";
        const code = await main(["watch", "--dir", dir, "--canary", "web-1", "--baseline", "web-2,web-3", "--since", "60", "--every", "0.1", "--max-seconds", "5"], (x) => (out += x));
        assert.equal(code, 1, out);
        assert.match(out, /^web-1 \d+ s\/5 s: canary 1000 req 25\.0% failed p50 4 p99 4 ms \| baseline 2000 req 0\.0% failed .* \| fail after \d+ canary requests$/m);
        assert.match(out, /verdict: fail after \d+ canary requests/);
    });

    it("zdr watch stops undecided at --max-seconds with exit 3, and refuses bad options naming them", async () => {
        fs.writeFileSync(path.join(dir, "haproxy.log"), "");
        let out = "";
        const started = Date.now();
        assert.equal(await main(["watch", "--dir", dir, "--canary", "web-1", "--baseline", "web-2", "--every", "0.2", "--max-seconds", "1"], (x) => (out += x)), 3);
        assert.ok(Date.now() - started < 3000);
        assert.match(out, /web-1 \d s\/1 s: canary 0 req/);
        let err = "";
        assert.equal(await main(["watch", "--dir", dir, "--canary", "web-1", "--baseline", "web-2", "--every", "0"], () => undefined, (x) => (err += x)), 2);
        assert.match(err, /--every: must be a number from 0.1 to 60; got "0"/);
        assert.equal(await main(["watch", "--dir", path.join(dir, "none"), "--canary", "web-1", "--baseline", "web-2"], () => undefined, (x) => (err += x)), 2);
        assert.match(err, /no HAProxy request log at /);
    });
});
