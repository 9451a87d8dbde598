import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppLogWatch, isErrorLine, lineTime, minedText } from "../../../src/canary/app-log";
import { CanaryJudge, formatJudgement } from "../../../src/canary/judge";
import { readLines } from "../../../src/canary/log-files";
import { requestStream } from "../../support/canary-stream";

describe("the app's own error log lines as canary signatures", () => {
    const errorLines: [string, boolean][] = [
        ["ERROR loyalty points not credited for request 4711: points service refused", true],
        ['{"t":1764250000000,"level":"error","msg":"injected fault"}', true],
        ["ValueError: invalid literal for int() with base 10: 'x'", true],
        ["Traceback (most recent call last):", true],
        ["panic: runtime error: index out of range", true],
        ['{"t":1764250000000,"level":"info","msg":"listening","port":3001}', false],
        ["GET /products 200 3 ms", false],
        ["0 errors in the last minute", false],
    ];
    for (const [line, error] of errorLines) {
        it(`${error ? "counts" : "ignores"} ${line}`, () => assert.equal(isErrorLine(line), error));
    }

    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-app-log-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads whole lines from an offset and leaves a line being written for the next read", () => {
        const f = path.join(dir, "a.log");
        fs.writeFileSync(f, "one\ntwo ü\nthr");
        const lines: string[] = [];
        const next = readLines(f, 0, (l) => lines.push(l));
        assert.deepEqual(lines, ["one", "two ü"]);
        assert.equal(next, Buffer.byteLength("one\ntwo ü\n"));
        fs.appendFileSync(f, "ee\n");
        assert.equal(readLines(f, next, (l) => lines.push(l)), fs.statSync(f).size);
        assert.deepEqual(lines, ["one", "two ü", "three"]);
        assert.equal(readLines(path.join(dir, "missing.log"), 0, () => assert.fail("no lines")), 0);
    });

    it("a template only the canary logs in the window is new, with line counts and first-seen times; known and start-up ones are not (a known one is listed, never judged)", () => {
        const files = { "web-1": path.join(dir, "web-1.log"), "web-2": path.join(dir, "web-2.log") };
        // before the window: the canary's start-up, and a caveat the stable version logs
        fs.writeFileSync(files["web-1"], "ERROR cache warm-up failed for shard 3\n");
        fs.writeFileSync(files["web-2"], "ERROR upstream reset by peer after 30 ms\n");
        const watch = new AppLogWatch(files, "web-1");
        fs.appendFileSync(files["web-1"], "ERROR loyalty points not credited for request 17: points service refused\nINFO request 18 ok\nERROR upstream reset by peer after 12 ms\n");
        fs.appendFileSync(files["web-2"], "ERROR disk almost full on /var/lib 98%\n");
        watch.poll(1000);
        fs.appendFileSync(files["web-1"], "ERROR loyalty points not credited for request 99: points service refused\n");
        watch.poll(2000);
        assert.deepEqual(watch.take("web-1"), ["log: ERROR loyalty points not credited for request <num>: points service refused"]);
        assert.equal(watch.take("web-1"), undefined, "taken once");
        assert.deepEqual(watch.take("web-2"), ["log: ERROR disk almost full on /var/lib <num>%"]);
        assert.deepEqual(
            watch.templates().map((t) => [t.template, t.canaryLines, t.canaryFirstSeen, t.baselineLines, t.baselineFirstSeen, t.known ?? false]),
            [
                ["ERROR loyalty points not credited for request <num>: points service refused", 2, 1000, 0, undefined, false],
                ["ERROR upstream reset by peer after <num> ms", 1, 1000, 0, undefined, true],
                ["ERROR disk almost full on /var/lib <num>%", 0, undefined, 1, 1000, false],
            ],
        );
    });

    it("mines a JSON line as its message, then its other fields, without its time and level, so one differing field is a variable of one template", () => {
        assert.equal(minedText('{"t":1,"level":"error","path":"/orders","msg":"injected fault: payment gateway timeout"}'), "injected fault: payment gateway timeout path=/orders");
        assert.equal(minedText("{not json"), "{not json");
    });

    it("mines a logfmt line (Go slog's text handler) the same way: time= and ts= are the line's time, never part of its template", () => {
        const slog = 'time=2026-11-27T15:59:59.100Z level=ERROR msg="order not saved" order=42 err="db timeout: \\"orders\\""';
        assert.equal(minedText(slog), 'order not saved order=42 err=db timeout: "orders"');
        assert.equal(lineTime(slog, now), now - 900);
        assert.equal(lineTime("ts=1795795199.25 lvl=error message=boom", now), now - 750);
        assert.equal(minedText("ts=1795795199.25 lvl=error message=boom"), "boom");
        assert.equal(minedText("ERROR a=b plain text"), "ERROR a=b plain text", "not logfmt: it does not start with a field");
        const miner = new AppLogWatch({}, "web-1");
        for (let i = 0; i < 3; i++) {
            miner.addLine("web-1", `time=2026-11-27T15:59:5${i}.${i}00Z level=ERROR msg="order not saved" order=${40 + i}`, now);
        }
        assert.deepEqual(miner.templates().map((t) => [t.template, t.canaryLines]), [["order not saved order=<num>", 3]], "one template, named by its message");
        assert.deepEqual(miner.take("web-1"), ["log: order not saved order=<num>"]);
    });

    const now = Date.parse("2026-11-27T16:00:00.000Z");
    const times: [string, number | undefined][] = [
        [`{"t":${now - 500},"level":"error"}`, now - 500],
        [`{"ts":${(now - 750) / 1000},"level":"error"}`, now - 750],
        ['{"time":"2026-11-27T15:59:59.100Z","level":"error"}', now - 900],
        ["2026-11-27T15:59:58.000Z ERROR points service refused", now - 2000],
        ["[2026-11-27 15:59:58,500Z] ERROR points service refused", now - 1500],
        ["ERROR points service refused", undefined],
        ['{"t":1000,"level":"error"}', undefined],
    ];
    for (const [line, t] of times) {
        it(`the time of ${line}: ${t ?? "its own none (read time)"}`, () => assert.equal(lineTime(line, now), t));
    }

    it("a line goes with the server's request that was being served when it was written", () => {
        const files = { "web-1": path.join(dir, "web-1.log") };
        fs.writeFileSync(files["web-1"], "");
        const watch = new AppLogWatch(files, "web-1");
        fs.appendFileSync(files["web-1"], `${JSON.stringify({ t: now + 120, level: "error", path: "/a", msg: "gateway timeout" })}\n${JSON.stringify({ t: now + 90, level: "error", path: "/b", msg: "gateway timeout" })}\n`);
        watch.poll(now + 1000);
        assert.equal(watch.take("web-1", now + 80), undefined, "a request that ended before either line");
        // the signature keeps the text of the template's first line: one name for the check
        assert.deepEqual(watch.take("web-1", now + 100), ["log: gateway timeout path=/a"]);
        assert.deepEqual(watch.take("web-1", now + 130), ["log: gateway timeout path=/a"]);
        assert.equal(watch.take("web-1", now + 5000), undefined);
        assert.deepEqual(watch.templates().map((t) => [t.template, t.canaryLines]), [["gateway timeout <*>", 2]]);
    });

    it("a log rotated under the watch is read from its start", () => {
        const files = { "web-1": path.join(dir, "web-1.log") };
        fs.writeFileSync(files["web-1"], "x".repeat(100) + "\n");
        const watch = new AppLogWatch(files, "web-1");
        fs.writeFileSync(files["web-1"], "ERROR points service refused\n");
        watch.poll(5);
        assert.deepEqual(watch.take("web-1"), ["log: ERROR points service refused"]);
    });

    it("the judge fails a canary whose successful requests carry a log template the baseline never logged, and names it", () => {
        const next = requestStream(7, { split: 3 });
        const j = new CanaryJudge({ intervals: false });
        let flip = 0;
        for (let i = 0; i < 20_000 && !j.decision; i++) {
            const r = next();
            const logs = r.group === "canary" && (flip++ * 0.618) % 1 < 0.05;
            j.add(r.group, r.t, logs ? { ...r.s, signatures: ["log: ERROR points service refused"] } : r.s);
        }
        const verdict = j.judgement(true);
        assert.equal(verdict.verdict, "fail", formatJudgement(verdict));
        const check = verdict.checks.find((c) => c.name === "new-error: log: ERROR points service refused");
        assert.equal(check?.verdict, "fail");
        assert.equal(verdict.checks.find((c) => c.name === "error-rate")?.verdict !== "fail", true, "no request failed more than the baseline's");
        assert.match(formatJudgement(verdict), /new-error: log: ERROR points service refused\s+fail .* canary requests \([\d.]+%\) logged a line the baseline never showed/);
    });

    it("a template both sides log is never new", () => {
        const next = requestStream(8, { split: 3 });
        const j = new CanaryJudge({ intervals: false });
        for (let i = 0; i < 4000; i++) {
            const r = next();
            j.add(r.group, r.t, i % 20 === 0 ? { ...r.s, signatures: ["log: WARN slow query"] } : r.s);
        }
        assert.ok(!j.judgement(true).checks.some((c) => c.name.includes("slow query") && c.verdict === "fail"));
    });
});
