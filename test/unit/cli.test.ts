import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-cli-"));
const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
};

interface CliCase {
    readonly name: string;
    readonly args: string[];
    readonly code: number;
    readonly out?: RegExp;
    readonly err?: RegExp;
}

function itRuns(cases: CliCase[]) {
    for (const c of cases) {
        it(c.name, async () => {
            const r = await run(c.args);
            assert.equal(r.code, c.code, `${r.out}${r.err}`);
            if (c.out) assert.match(r.out, c.out);
            if (c.err) assert.match(r.err, c.err);
        });
    }
}

async function run(args: string[]) {
    let out = "";
    let err = "";
    const code = await main(args, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
}

describe("zdr check-migration", () => {
    const drop = file("v3.sql", "SET lock_timeout = '2s';\nALTER TABLE products DROP COLUMN legacy_code;\n");
    const v1 = file("v1.sql", "SELECT id, legacy_code FROM products;\n");
    const v2 = file("v2.sql", "SELECT id FROM products;\n");
    const bad = file("bad.sql", "SELECT 1;\nALTER TABLE products DROP COLUMN;\n");

    itRuns([
        { name: "exits 1 when a live version reads the dropped column", args: ["check-migration", drop, "--live-queries", v1, "--live-queries", v2], code: 1, out: /BLOCK drop-column: .* which v1 still uses/ },
        { name: "exits 0 once no live version reads it", args: ["check-migration", drop, "--live-queries", v2], code: 0, out: /^safe: no statement/ },
        { name: "treats a missing --live-queries as unknown usage", args: ["check-migration", drop], code: 1, out: /usage of the live version is unknown/ },
        { name: "exits 2 on SQL that does not parse, with the position", args: ["check-migration", bad], code: 2, err: /bad\.sql:2:33: syntax error at or near ";"/ },
        { name: "exits 2 on a file that cannot be read", args: ["check-migration", path.join(dir, "missing.sql")], code: 2, err: /cannot read migration .*missing\.sql: ENOENT/ },
        { name: "exits 2 on an unknown option", args: ["check-migration", drop, "--frobnicate"], code: 2, err: /unknown option '--frobnicate'/ },
    ]);

    it("prints the verdict as JSON with --json", async () => {
        const r = await run(["check-migration", drop, "--live-queries", v1, "--json"]);
        const json = JSON.parse(r.out);
        assert.equal(json.verdict, "blocked");
        assert.deepEqual(Object.keys(json.violations[0]).sort(), ["message", "object", "rule", "severity", "statement"]);
        assert.deepEqual(json.violations.map((v: { rule: string; severity: string; object: string }) => [v.rule, v.severity, v.object]), [["drop-column", "block", "products.legacy_code"]]);
    });
});

describe("zdr analyze", () => {
    const jsonl = (name: string, rows: object[]) => file(name, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const requests = (n: number, latencyMs: number, errorsEvery = 0, error?: string) =>
        Array.from({ length: n }, (_, i) => (errorsEvery && i % errorsEvery === 0 ? { status: 500, latencyMs, ...(error ? { error } : {}) } : { status: 200, latencyMs: latencyMs + (i % 7) }));
    const base = jsonl("base.jsonl", requests(1000, 20, 200, "db timeout"));
    const same = jsonl("same.jsonl", requests(1000, 20, 200, "db timeout"));
    const worse = jsonl("worse.jsonl", requests(1000, 20, 20, "boom"));
    const few = jsonl("few.jsonl", requests(50, 20));
    const broken = file("broken.jsonl", '{"status": 200, "latencyMs": 3}\n{"status": "ok"}\n');

    itRuns([
        { name: "exits 0 when the canary matches the baseline", args: ["analyze", "--baseline", base, "--canary", same], code: 0, out: /^verdict: pass \(baseline 1000 requests, canary 1000\)/ },
        { name: "exits 1 and names the new error when the canary is worse", args: ["analyze", "--baseline", base, "--canary", worse], code: 1, out: /new-error: boom\s+fail/ },
        { name: "exits 3 below the minimum sample size", args: ["analyze", "--baseline", base, "--canary", few], code: 3, out: /verdict: inconclusive/ },
        { name: "exits 2 on a malformed line, naming it", args: ["analyze", "--baseline", base, "--canary", broken], code: 2, err: /broken\.jsonl:2: needs "status" \(an integer\)/ },
        { name: "exits 2 without --canary", args: ["analyze", "--baseline", base], code: 2, err: /required option '--canary <file>' not specified/ },
    ]);

    it("prints the verdict and the checks as JSON with --json", async () => {
        const r = await run(["analyze", "--baseline", base, "--canary", worse, "--json"]);
        const json = JSON.parse(r.out);
        assert.equal(json.verdict, "fail");
        assert.ok(json.checks.some((c: { name: string; verdict: string }) => c.name === "error-rate" && c.verdict === "fail"));
    });
});
