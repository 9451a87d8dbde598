import { strict as assert } from "node:assert";
import { loadParser } from "../../../src/migrations/sql";
import { applicationName, loggedStatements, mergeStatements } from "../../../src/migrations/statement-log";

const entry = (application: string, message: string, severity = "LOG") =>
    JSON.stringify({ timestamp: "2026-11-27 13:00:00.000 UTC", user: "zdr", dbname: "postgres", pid: 4242, error_severity: severity, message, application_name: application, backend_type: "client backend" });

// A jsonlog excerpt as PostgreSQL writes it with log_statement = 'all' (and one line from
// log_min_duration_statement = 0), two versions' servers side by side.
const log = [
    entry("zdr:v2", "statement: BEGIN"),
    entry("zdr:v2", "execute <unnamed>: INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id"),
    entry("zdr:v2", "statement: COMMIT"),
    entry("zdr:v1", "statement: SELECT id, name, price_cents, legacy_code FROM products ORDER BY id"),
    entry("zdr:v2", "duration: 0.052 ms  statement: SELECT channel, count(*)\n  FROM orders GROUP BY channel"),
    entry("zdr:v2", "execute S_1: SELECT channel, count(*) FROM orders GROUP BY channel"),
    entry("zdr:v2", "column \"chanel\" does not exist", "ERROR"),
    entry("zdr:v2", "statement: SELECT id FROM products WHERE id = 5; SET application_name = 'zdr:v2'"),
    entry("zdr:v2", "statement: SELECT FROM WHERE"),
    entry("psql", "statement: DROP TABLE orders"),
    "2026-11-27 13:00:00 UTC [4242] LOG:  a plain stderr line, not JSON",
    "",
].join("\n");

describe("what a version was seen running (PostgreSQL's statement log)", () => {
    before(() => loadParser());

    it("names a version's servers zdr:<version> in application_name", () => assert.equal(applicationName("v2"), "zdr:v2"));

    it("reads one application's statements, each once, leaving out transaction control, settings, errors and what does not parse", () => {
        assert.deepEqual(loggedStatements(log, "zdr:v2").map((s) => s.text), [
            "INSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id",
            "SELECT channel, count(*)\n  FROM orders GROUP BY channel",
            "SELECT id FROM products WHERE id = 5",
        ]);
        assert.deepEqual(loggedStatements(log, "zdr:v1").map((s) => s.text), ["SELECT id, name, price_cents, legacy_code FROM products ORDER BY id"]);
        assert.deepEqual(loggedStatements(log, "zdr:v9"), []);
    });

    it("adds to the query file what it lacks, by fingerprint (literals and layout ignored)", () => {
        const file = "-- name: placeOrder\nINSERT INTO orders (product_id, quantity, channel) VALUES ($1, $2, 'web') RETURNING id;\n-- name: product\nSELECT id FROM products WHERE id = $1;\n";
        assert.equal(
            mergeStatements(file, loggedStatements(log, "zdr:v2")),
            `${file.trimEnd()}\n-- seen in PostgreSQL's statement log, not in the file:\nSELECT channel, count(*)\n  FROM orders GROUP BY channel;\n`,
        );
    });

    it("returns the file unchanged when the log saw nothing new", () => {
        const file = "SELECT id, name, price_cents, legacy_code FROM products ORDER BY id;\n";
        assert.equal(mergeStatements(file, loggedStatements(log, "zdr:v1")), file);
    });

    it("keeps a version without a query file unknown: the log shows what ran, not all it may run", () => {
        assert.equal(mergeStatements(undefined, loggedStatements(log, "zdr:v2")), undefined);
    });
});
