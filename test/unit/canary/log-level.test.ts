import { strict as assert } from "node:assert";
import { isErrorLine, lineTime, minedText } from "../../../src/canary/app-log";
import { errorPattern, lineSeverity } from "../../../src/canary/log-level";

// Lines as each library or tool writes them by default (or with its documented JSON option).
const formats: [string, string, number | undefined, boolean][] = [
    // [format, line, its severity (syslog scale) or undefined when it states none, error?]
    ["pino (level 50)", '{"level":50,"time":1764259198123,"pid":4242,"hostname":"web-1","msg":"payment gateway timeout"}', 3, true],
    ["pino (level 30)", '{"level":30,"time":1764259198123,"pid":4242,"hostname":"web-1","msg":"request failed, retrying"}', 6, false],
    ["pino (level 60, fatal)", '{"level":60,"time":1764259198123,"pid":4242,"hostname":"web-1","msg":"cannot open database"}', 2, true],
    ["bunyan (level 40)", '{"name":"shop","hostname":"web-1","pid":4242,"level":40,"msg":"slow query failed over to replica","time":"2026-11-27T15:59:58.123Z","v":0}', 4, false],
    ["bunyan (level 50)", '{"name":"shop","hostname":"web-1","pid":4242,"level":50,"msg":"order not saved","time":"2026-11-27T15:59:58.123Z","v":0}', 3, true],
    ["Python logging, default format", "ERROR:shop.orders:order 17 not saved", 3, true],
    ["Python logging, WARNING", "WARNING:shop.cache:cache refresh failed, serving stale", 4, false],
    ["Python logging, asctime format", "2026-11-27 15:59:58,123 - shop.orders - ERROR - order 17 not saved", 3, true],
    ["Python logging, INFO with an error word", "2026-11-27 15:59:58,123 - shop.health - INFO - 0 errors, no failed checks", 6, false],
    ["Python traceback (no level)", "Traceback (most recent call last):", undefined, true],
    ["Python exception line (no level)", "ValueError: invalid literal for int() with base 10: 'x'", undefined, true],
    ["Go slog text", 'time=2026-11-27T15:59:58.123Z level=ERROR msg="order not saved" order=17 err="pq: deadlock detected"', 3, true],
    ["Go slog text, WARN", 'time=2026-11-27T15:59:58.123Z level=WARN msg="retry failed" attempt=2', 4, false],
    ["Go slog JSON", '{"time":"2026-11-27T15:59:58.123Z","level":"ERROR","msg":"order not saved","order":17}', 3, true],
    ["Go slog JSON, ERROR+2", '{"time":"2026-11-27T15:59:58.123Z","level":"ERROR+2","msg":"disk full"}', 3, true],
    ["Go zap production (JSON)", '{"level":"error","ts":1764259198.123,"caller":"orders/save.go:42","msg":"order not saved","order":17}', 3, true],
    ["Go zap production, dpanic", '{"level":"dpanic","ts":1764259198.123,"caller":"orders/save.go:42","msg":"nil order"}', 2, true],
    ["Go zap production, info", '{"level":"info","ts":1764259198.123,"caller":"http/serve.go:12","msg":"error page served","status":404}', 6, false],
    ["Go zap development (console)", "2026-11-27T15:59:58.123Z\tERROR\torders/save.go:42\torder not saved\t{\"order\": 17}", 3, true],
    ["Go panic (\"panic:\" read as its level)", "panic: runtime error: index out of range [3] with length 3", 0, true],
    ["logrus text", 'time="2026-11-27T15:59:58Z" level=error msg="order not saved" order=17', 3, true],
    ["Rails logger, ERROR", "E, [2026-11-27T15:59:58.123456 #4242] ERROR -- : [3f1c] ActiveRecord::RecordInvalid (Validation failed: Email is invalid)", 3, true],
    ["Rails logger, INFO 500", 'I, [2026-11-27T15:59:58.123456 #4242]  INFO -- : [3f1c] Completed 500 Internal Server Error in 12ms', 6, false],
    ["Rails logger, FATAL", "F, [2026-11-27T15:59:58.123456 #4242] FATAL -- : [3f1c] ActionController::RoutingError (No route matches [GET] \"/x\")", 2, true],
    ["journald (journalctl -o json), PRIORITY 3", '{"__CURSOR":"s=13a21661cf4948289c63075db6c25c00;i=116f1;b=81b58db8fd9046ab9f847ddb82a2fa2d;m=19f0daa;t=50e33c33587ae;x=e307daadb4858635","__REALTIME_TIMESTAMP":"1764259198123456","__MONOTONIC_TIMESTAMP":"27200938","_BOOT_ID":"81b58db8fd9046ab9f847ddb82a2fa2d","PRIORITY":"3","_UID":"1000","_GID":"1000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"shop","_TRANSPORT":"stdout","_PID":"4242","_COMM":"node","_SYSTEMD_UNIT":"shop.service","MESSAGE":"order 17 not saved: points service refused"}', 3, true],
    ["journald, PRIORITY 6 with an error word", '{"__CURSOR":"s=13a2;i=116f2;b=81b5;m=19f0dab;t=50e33c33587af;x=e307","__REALTIME_TIMESTAMP":"1764259198223456","PRIORITY":"6","_SYSTEMD_UNIT":"shop.service","MESSAGE":"GET /orders 500 failed"}', 6, false],
    ["syslog <PRI> prefix (local0.err)", "<131>Nov 27 15:59:58 web-1 shop[4242]: order 17 not saved", 3, true],
    ["syslog <PRI> prefix (local0.info)", "<134>Nov 27 15:59:58 web-1 shop[4242]: 0 failed jobs", 6, false],
    ["Java logback (Spring Boot)", "2026-11-27 15:59:58.123 ERROR 4242 --- [nio-8080-exec-1] c.e.shop.OrderController : order 17 not saved", 3, true],
    ["Serilog compact JSON", '{"@t":"2026-11-27T15:59:58.123Z","@mt":"Order {Id} not saved","@l":"Error","Id":17}', 3, true],
    ["Elastic common schema", '{"@timestamp":"2026-11-27T15:59:58.123Z","log.level":"error","message":"order not saved"}', 3, true],
    ["nginx error log", "2026/11/27 15:59:58 [error] 31#31: *5 upstream timed out (110: Connection timed out)", 3, true],
    ["plain, no level, no error word", "GET /products 200 3 ms", undefined, false],
];

describe("which app log lines are errors", () => {
    for (const [format, line, severity, error] of formats) {
        it(`${format}: ${severity === undefined ? "no level" : `severity ${severity}`}, ${error ? "an error" : "no error"}`, () => {
            assert.equal(lineSeverity(line, line.startsWith("{") ? JSON.parse(line) : undefined), severity);
            assert.equal(isErrorLine(line), error);
        });
    }

    it("mines journald's MESSAGE, stamped with its __REALTIME_TIMESTAMP", () => {
        const line = formats.find(([f]) => f.startsWith("journald (journalctl"))?.[1] ?? "";
        assert.equal(minedText(line), "order 17 not saved: points service refused");
        assert.equal(lineTime(line, 1764259198000), 1764259198123.456);
        // a MESSAGE that is not UTF-8 is a byte array
        assert.equal(minedText('{"__CURSOR":"s=1;i=2","PRIORITY":"3","MESSAGE":[111,107,32,255]}'), "ok \ufffd");
    });

    it("journald's default PRIORITY for a service's output line states no level: the MESSAGE's own, or the pattern, decides", () => {
        const stream = (message: string, priority = "6", transport = "stdout") =>
            JSON.stringify({ __CURSOR: "s=13a2;i=116f3;b=81b5;m=19f0dac;t=50e33c33587b0;x=e308", __REALTIME_TIMESTAMP: "1764259198323456", PRIORITY: priority, _TRANSPORT: transport, _SYSTEMD_UNIT: "shop.service", MESSAGE: message });
        const cases: [string, string, boolean][] = [
            ["a leading ERROR", stream("ERROR order 17 not saved"), true],
            ["a Python traceback", stream("Traceback (most recent call last):"), true],
            ["a JSON line at info level", stream('{"level":"info","msg":"retry failed, trying again"}'), false],
            ["a JSON line at error level", stream('{"level":"error","msg":"order not saved"}'), true],
            ["a plain line", stream("GET /products 200 3 ms"), false],
            ["a <3> prefix (PRIORITY 3)", stream("order 17 not saved", "3"), true],
            ["sent at info level (sd_journal_send)", stream("failed over to the replica", "6", "journal"), false],
        ];
        for (const [what, line, error] of cases) {
            assert.equal(isErrorLine(line), error, what);
        }
        assert.equal(minedText(stream('{"level":"error","msg":"order not saved"}')), "order not saved");
    });

    it("the app's pattern decides lines without a level only", () => {
        const pattern = errorPattern("^E\\d{4} |refused", "zdr:appLogErrorPattern");
        assert.equal(isErrorLine("E1027 points service down", pattern), true);
        assert.equal(isErrorLine("Traceback (most recent call last):", pattern), false, "the default words no longer count");
        assert.equal(isErrorLine("INFO connection refused, retrying", pattern), false, "its level says info");
        assert.equal(isErrorLine('{"level":"error","msg":"x"}', pattern), true, "its level says error");
    });

    it("refuses a pattern that is no regular expression, or matches every line, naming the key", () => {
        assert.throws(() => errorPattern("(unclosed", "zdr:appLogErrorPattern"), /^Error: zdr:appLogErrorPattern: must be a regular expression \(JavaScript syntax, matched case-insensitively\) that matches the error lines of the app's log that state no level; "\(unclosed" is not: Invalid regular expression/);
        assert.throws(() => errorPattern(".*", "zdr:appLogErrorPattern"), /"\.\*" is not: it matches every line/);
    });
});
