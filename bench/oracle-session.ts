// Benchmark: what running each live statement as in a fresh session of its own version costs
// the oracle (issue 23): a check whose schema has PL/pgSQL functions (compiled afresh after the
// schema and after the migration), one whose versions carry session state (SET search_path,
// PREPARE before each EXECUTE), one with neither, and the start of PGlite with a contrib extension
// (btree_gist) against the start without. Checks run in this process on PGlite; median wall and CPU time, min wall.
// The same file runs on a checkout of an earlier commit too (checkMigration takes the same input).
// Run: npx ts-node --transpile-only bench/oracle-session.ts [runs=5]
import { checkMigration, CheckInput } from "../src/migrations/check";
import { closeOracle } from "../src/migrations/oracle";
import { loadParser } from "../src/migrations/sql";

const tables = 20;

function schema(functions: boolean): string {
    const s: string[] = ["CREATE SCHEMA shop;"];
    for (let t = 0; t < tables; t++) {
        s.push(`CREATE TABLE shop.t${t} (id serial PRIMARY KEY, name text NOT NULL, qty integer NOT NULL DEFAULT 1);`, `INSERT INTO shop.t${t} (name) VALUES ('a'), ('b');`);
        if (functions) {
            s.push(
                `CREATE FUNCTION shop.t${t}_check() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE q shop.t${t}.qty%TYPE := NEW.qty; BEGIN IF q < 0 THEN RAISE EXCEPTION 'negative'; END IF; RETURN NEW; END $$;`,
                `CREATE TRIGGER t${t}_check BEFORE INSERT OR UPDATE ON shop.t${t} FOR EACH ROW EXECUTE FUNCTION shop.t${t}_check();`,
            );
        }
    }
    return s.join("\n");
}

/** 2 statements a table: a read and a write; with session state, a SET search_path first and each write PREPAREd and EXECUTEd. */
function queries(session: boolean): string {
    const q: string[] = session ? ["SET search_path TO shop, public;"] : [];
    const table = (t: number) => (session ? `t${t}` : `shop.t${t}`);
    for (let t = 0; t < tables; t++) {
        q.push(`SELECT id, name FROM ${table(t)} WHERE qty > 0;`);
        q.push(session ? `PREPARE add${t}(text) AS INSERT INTO ${table(t)} (name) VALUES ($1); EXECUTE add${t}('c');` : `INSERT INTO ${table(t)} (name) VALUES ('c');`);
    }
    return q.join("\n");
}

async function median(label: string, input: CheckInput, runs: number): Promise<void> {
    // CPU time too: PGlite runs on this process's thread, and on a busy machine wall time mostly measures the others.
    const times: number[] = [];
    const cpu: number[] = [];
    let verdict = "";
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const used = process.cpuUsage();
        verdict = (await checkMigration(input)).verdict;
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        const spent = process.cpuUsage(used);
        cpu.push((spent.user + spent.system) / 1e3);
    }
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(runs / 2)].toFixed(0);
    console.log(`${label}: median ${mid(times)} ms wall, ${mid(cpu)} ms CPU, min ${Math.min(...times).toFixed(0)} ms wall of ${runs}; ${verdict}`);
}

async function main() {
    const runs = Number(process.argv[2] ?? 5);
    await loadParser();
    const migration = "SET lock_timeout = '2s';\n" + Array.from({ length: tables }, (_, t) => `ALTER TABLE shop.t${t} ADD COLUMN note text;`).join("\n");
    const check = (functions: boolean, session: boolean): CheckInput => ({ migration, schema: schema(functions), live: [{ version: "v1", role: "rollback", sql: queries(session) }, { version: "v2", role: "release", sql: queries(session) }] });
    await checkMigration(check(false, false)); // PGlite's start
    console.log(`${tables} tables, 2 versions of ${tables * 2} statements each, a migration of ${tables + 1} statements`);
    await median("no functions, no session state", check(false, false), runs);
    await median(`${tables} PL/pgSQL trigger functions (compiled afresh after the schema and after the migration)`, check(true, false), runs);
    await median("session state (SET search_path; PREPARE before each EXECUTE)", check(false, true), runs);
    await median("both", check(true, true), runs);
    const gist = "CREATE EXTENSION btree_gist;\nCREATE TABLE bookings (room integer NOT NULL, during tsrange NOT NULL);";
    for (let i = 0; i < 2; i++) {
        for (const [label, schemaSql] of [["start without a contrib extension", "CREATE TABLE bookings (room integer NOT NULL, during tsrange NOT NULL);"], ["start with btree_gist", gist]] as const) {
            await closeOracle();
            const start = process.hrtime.bigint();
            const used = process.cpuUsage();
            await checkMigration({ migration: "ALTER TABLE bookings ADD COLUMN note text", schema: schemaSql, live: [{ version: "v1", role: "live", sql: "SELECT room FROM bookings" }] });
            const spent = process.cpuUsage(used);
            console.log(`${label} (first check of a process, cached initdb): ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms wall, ${((spent.user + spent.system) / 1e3).toFixed(0)} ms CPU`);
        }
    }
    await closeOracle();
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
