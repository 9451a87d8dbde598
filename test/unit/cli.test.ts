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

    const cases: { name: string; args: string[]; code: number; out?: RegExp; err?: RegExp }[] = [
        { name: "exits 1 when a live version reads the dropped column", args: ["check-migration", drop, "--live-queries", v1, v2], code: 1, out: /BLOCK drop-column: .* which v1 still uses/ },
        { name: "exits 0 once no live version reads it", args: ["check-migration", drop, "--live-queries", v2], code: 0, out: /^safe: no statement/ },
        { name: "treats a missing --live-queries as unknown usage", args: ["check-migration", drop], code: 1, out: /usage of the live version is unknown/ },
        { name: "exits 2 on SQL that does not parse, with the position", args: ["check-migration", bad], code: 2, err: /bad\.sql:2:33: syntax error at or near ";"/ },
        { name: "exits 2 on a file that cannot be read", args: ["check-migration", path.join(dir, "missing.sql")], code: 2, err: /cannot read migration .*missing\.sql: ENOENT/ },
        { name: "exits 2 on an unknown option", args: ["check-migration", drop, "--frobnicate"], code: 2, err: /unknown option '--frobnicate'/ },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const r = await run(c.args);
            assert.equal(r.code, c.code, `${r.out}${r.err}`);
            if (c.out) assert.match(r.out, c.out);
            if (c.err) assert.match(r.err, c.err);
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
