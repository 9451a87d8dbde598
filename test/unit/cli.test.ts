import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli";
import { closeOracle } from "../../src/migrations/oracle";

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

describe("zdr check-migration", function () {
    this.timeout(60_000); // the first check with --schema starts the embedded PostgreSQL
    after(() => closeOracle());
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

    const migrations = path.join(__dirname, "../../app/webshop/migrations");
    const schema = file("schema.sql", fs.readdirSync(migrations).filter((f) => /^V[123]__/.test(f)).sort().map((f) => fs.readFileSync(path.join(migrations, f), "utf8")).join("\n"));
    const dropChannel = file("drop-channel.sql", "SET lock_timeout = '2s';\nALTER TABLE orders DROP COLUMN channel;\n");
    const v4 = file("v4.sql", "SELECT channel, count(*) FROM orders GROUP BY channel;\n");
    const empty = file("empty.sql", "-- name: listProducts\n\n");

    itRuns([
        { name: "blocks dropping orders.channel with --schema: PostgreSQL sees the column the schema history added", args: ["check-migration", dropChannel, "--schema", schema, "--live-queries", v4], code: 1, out: /BLOCK drop-column: `ALTER TABLE orders DROP COLUMN channel` drops orders\.channel, which v4 still uses; .* PostgreSQL rejects v4's `SELECT channel, count\(\*\) FROM orders GROUP BY channel` after it: column "channel" does not exist/ },
        { name: "takes the migration after --live-queries as the migration, not as one more query file", args: ["check-migration", "--live-queries", v4, dropChannel, "--schema", schema], code: 1, out: /drops orders\.channel, which v4 still uses/ },
        { name: "takes comma-separated query files", args: ["check-migration", drop, "--live-queries", `${v2},${v1}`], code: 1, out: /which v1 still uses; live versions: v2 \(live\), v1 \(live\)/ },
        { name: "exits 2 on an empty or comment-only query file", args: ["check-migration", dropChannel, "--live-queries", empty], code: 2, err: /zdr: the queries of empty hold no SQL statement/ },
    ]);

    const badJson: { name: string; args: string[]; error: RegExp }[] = [
        { name: "a file that cannot be read", args: ["check-migration", path.join(dir, "missing.sql"), "--json"], error: /cannot read migration .*missing\.sql: ENOENT/ },
        { name: "SQL that does not parse", args: ["check-migration", bad, "--json"], error: /bad\.sql:2:33: syntax error at or near ";"/ },
        { name: "an unknown option", args: ["check-migration", drop, "--json", "--frobnicate"], error: /unknown option '--frobnicate'/ },
        { name: "a missing migration argument", args: ["check-migration", "--json"], error: /missing required argument 'migration'/ },
        { name: "an empty query file", args: ["check-migration", drop, "--json", "--live-queries", empty], error: /the queries of empty hold no SQL statement/ },
    ];
    for (const c of badJson) {
        it(`answers bad input in JSON with --json, exit 2: ${c.name}`, async () => {
            const r = await run(c.args);
            assert.equal(r.code, 2, r.out + r.err);
            assert.equal(r.err, "");
            const json = JSON.parse(r.out);
            assert.equal(json.verdict, "bad-input");
            assert.match(json.error, c.error);
        });
    }

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
    /** n requests 10 ms apart; every `errorsEvery`-th (from `phase`) fails with `error`; latency cycles over 7 whole ms. */
    const requests = (n: number, latencyMs: number, errorsEvery = 0, error?: string, phase = 0) =>
        Array.from({ length: n }, (_, i) => ({ t: 1_767_225_600_000 + i * 10 + 5, ...(errorsEvery && i % errorsEvery === phase ? { status: 500, latencyMs, ...(error ? { error } : {}) } : { status: 200, latencyMs: latencyMs + (i % 7) }) }));
    const base = jsonl("base.jsonl", requests(1000, 20, 200, "db timeout"));
    // 400 requests of each: too few to show the canary's 0.5% within a point of the baseline's (1,000 are enough)
    const shortBase = jsonl("short-base.jsonl", requests(400, 20, 200, "db timeout"));
    const same = jsonl("same.jsonl", requests(400, 20, 200, "db timeout"));
    const worse = jsonl("worse.jsonl", requests(1000, 20, 20, "boom"));
    // many known errors on both sides and a faster canary: every effect's upper bound inside its tolerance
    const bigBase = jsonl("big-base.jsonl", requests(6000, 20, 10, "db timeout"));
    const faster = jsonl("faster.jsonl", requests(6000, 14, 10, "db timeout", 5));
    const broken = file("broken.jsonl", '{"t": 1, "status": 200, "latencyMs": 3}\n{"t": 2, "status": "ok"}\n');
    const unordered = file("unordered.jsonl", '{"t": 5, "status": 200, "latencyMs": 3}\n{"t": 2, "status": 200, "latencyMs": 3}\n');

    itRuns([
        { name: "exits 0 once every effect is inside its tolerance, and says after how many canary requests", args: ["analyze", "--baseline", bigBase, "--canary", faster], code: 0, out: /^verdict: pass after \d+ canary requests/ },
        // the new-error check decides first (11 "boom"s in 201 requests, a signature the baseline never showed); the error rate is not passed
        { name: "exits 1 when the canary fails more, and names its new error", args: ["analyze", "--baseline", base, "--canary", worse], code: 1, out: /error-rate\s+(fail|undecided)[^]*new-error: boom\s+fail/ },
        { name: "exits 3 when the requests end before a verdict, with what was ruled out and how much more it needed", args: ["analyze", "--baseline", shortBase, "--canary", same], code: 3, out: /verdict: inconclusive after 400 canary requests[^]*ruled out: [^]*to pass it needed: [^\n]*about \d+ more canary requests/ },
        { name: "exits 2 on a malformed line, naming it", args: ["analyze", "--baseline", base, "--canary", broken], code: 2, err: /broken\.jsonl:2: needs "t" \(epoch ms\), "status" \(an integer\)/ },
        { name: "exits 2 on lines out of time order", args: ["analyze", "--baseline", base, "--canary", unordered], code: 2, err: /unordered\.jsonl:2: "t" 2 is before the line above \(5\): lines must be in time order/ },
        { name: "exits 2 without --canary", args: ["analyze", "--baseline", base], code: 2, err: /required option '--canary <file>' not specified/ },
    ]);

    it("prints the verdict, decidedAfter and each check's interval as JSON with --json", async () => {
        const r = await run(["analyze", "--baseline", base, "--canary", worse, "--json"]);
        const json = JSON.parse(r.out);
        assert.equal(json.verdict, "fail");
        assert.ok(Number.isInteger(json.decidedAfter) && json.decidedAfter > 0 && json.decidedAfter <= 1000, r.out);
        const errors = json.checks.find((c: { name: string }) => c.name === "error-rate");
        assert.notEqual(errors.verdict, "pass", JSON.stringify(errors));
        assert.ok(errors.interval.lower > 0, JSON.stringify(errors));
        const boom = json.checks.find((c: { name: string }) => c.name === "new-error: boom");
        assert.equal(boom?.verdict, "fail", JSON.stringify(json.checks));
    });
});
