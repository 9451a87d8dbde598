import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { rules } from "../../../src/migrations/rules";

describe("docs/migration-rules.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../../docs/migration-rules.md"), "utf8");
    for (const r of Object.values(rules)) {
        it(`lists ${r.id} with its severity and anchor`, () => assert.ok(doc.includes(`| \`${r.id}\` | ${r.severity} | ${r.summary} | ${r.anchor} |`)));
    }
});
