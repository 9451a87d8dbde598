import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { offsetOf, parseHaproxyLine, parseHaproxyLog, readFrom, requestsOf, routeOf } from "../../../src/canary/evidence";

describe("HAProxy request log as a stream", () => {
    let dir: string;
    let log: string;
    let text: string;
    const t0 = 1_767_225_600_000;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-evidence-"));
        log = path.join(dir, "haproxy.log");
        const lines: string[] = [];
        // 200,000 requests 5 ms apart over three servers, some out of order by up to 2 s (long
        // requests are logged when they end), an error signature with non-ASCII text, and lines
        // HAProxy writes that are not requests.
        for (let i = 0; i < 200_000; i++) {
            const t = t0 + i * 5 - (i % 97 === 0 ? 2000 : 0);
            const server = ["web-1", "web-2", "web-3"][i % 3];
            lines.push(i % 1000 === 0 ? `${t} ${server} 500 12 {zahlung fehlgeschlagen: Größe}` : `${t} ${server} 200 ${i % 50} {}`);
            if (i % 5000 === 0) {
                lines.push(`${t} <NOSRV> 503 -1 {}`, "Proxy web started.");
            }
        }
        text = `${lines.join("\n")}\n`;
        fs.writeFileSync(log, text);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const windows: [string, number, number, string[]][] = [
        ["a window in the middle", t0 + 400_000, t0 + 460_000, ["web-1"]],
        ["a window at the start", t0, t0 + 10_000, ["web-2", "web-3"]],
        ["a window at the end", t0 + 990_000, t0 + 2_000_000, ["web-1", "web-2", "web-3"]],
        ["a window before the log", t0 - 100_000, t0 - 50_000, ["web-1"]],
    ];
    for (const [name, from, to, servers] of windows) {
        it(`reads exactly the requests a whole read finds: ${name}`, () => {
            const expected = parseHaproxyLog(text).filter((r) => r.t >= from && r.t <= to && servers.includes(r.server));
            assert.deepEqual(requestsOf(log, servers, from, to), expected);
        });
    }

    it("starts far into a long log: the binary search lands before the window, within a minute of disorder", () => {
        const offset = offsetOf(log, t0 + 800_000);
        assert.ok(offset > text.length / 2, `${offset}`);
        const first = parseHaproxyLog(text.slice(offset))[0];
        assert.ok(first.t <= t0 + 800_000 - 60_000 + 2000 && first.t >= t0 + 800_000 - 60_000 - 70_000, `${first.t - t0}`);
    });

    it("keeps the non-ASCII text of an error signature", () => {
        const r = requestsOf(log, ["web-1", "web-2", "web-3"], t0, t0 + 6000).find((x) => x.error);
        assert.equal(r?.error, "zahlung fehlgeschlagen: Größe");
    });

    it("reads on from where it stopped, leaving a line still being written for the next read", () => {
        const partial = path.join(dir, "partial.log");
        fs.writeFileSync(partial, `${t0} web-1 200 3 {}\n${t0 + 1} web-2 200 4 {}\n${t0 + 2} web-1 2`);
        const seen: number[] = [];
        const offset = readFrom(partial, 0, (r) => {
            seen.push(r.t);
        });
        assert.deepEqual(seen, [t0, t0 + 1]);
        fs.appendFileSync(partial, `00 5 {}\n${t0 + 3} web-3 200 6 {}\n`);
        readFrom(partial, offset, (r) => {
            seen.push(r.t);
        });
        assert.deepEqual(seen, [t0, t0 + 1, t0 + 2, t0 + 3]);
    });

    const lines: [string, ReturnType<typeof parseHaproxyLine>][] = [
        ["1767225600000 web-1 200 3 {}", { t: 1767225600000, server: "web-1", status: 200, latencyMs: 3 }],
        ["1767225600000 web-1 500 3 {db timeout}", { t: 1767225600000, server: "web-1", status: 500, latencyMs: 3, error: "db timeout" }],
        ["1767225600000 web-1 200 3 35 GET /products {}", { t: 1767225600000, server: "web-1", status: 200, latencyMs: 3, end: 1767225600035, route: "GET /products" }],
        ["1767225600000 web-1 500 4 7 POST /orders/4711/items {}", { t: 1767225600000, server: "web-1", status: 500, latencyMs: 4, end: 1767225600007, error: "500 POST /orders/<id>/items", route: "POST /orders/<id>/items" }],
        ["1767225600000 web-1 503 4 7 GET /orders/4711 {payment gateway timeout}", { t: 1767225600000, server: "web-1", status: 503, latencyMs: 4, end: 1767225600007, error: "payment gateway timeout", route: "GET /orders/<id>" }],
        ["1767225600000 web-1 -1 -1 5000 GET / {}", { t: 1767225600000, server: "web-1", status: -1, latencyMs: 0, end: 1767225605000, error: "-1 GET /", route: "GET /" }],
        ["1767225600000 <NOSRV> 503 -1 2 GET / {}", undefined],
    ];
    for (const [l, r] of lines) {
        it(`parses ${l}`, () => assert.deepEqual(parseHaproxyLine(l), r));
    }

    it("a route masks the ids in a path", () => {
        assert.equal(routeOf("/orders/4711/items/123e4567-e89b-12d3-a456-426614174000"), "/orders/<id>/items/<id>");
        assert.equal(routeOf("/users/5f2b9c0e7d1a4b3c/profile"), "/users/<id>/profile");
        assert.equal(routeOf("/v2/products"), "/v2/products");
    });
});
