// The oracle: PostgreSQL itself says whether a live version's statements still work after a
// migration. It runs in this process (PGlite: PostgreSQL 18 compiled to WebAssembly), started
// once and lazily, and every check runs in one transaction that is rolled back:
//
//   BEGIN; <schema>; SAVEPOINT before;
//   probe every live statement            (the baseline: what works before the migration)
//   <migration>;
//   probe every live statement again      (what works after it)
//   ROLLBACK
//
// A probe PREPAREs the statement (PostgreSQL's parse analysis: names, ambiguity, types, an
// ON CONFLICT without a matching constraint, ...) and, when it has no $n parameters, runs it
// on the schema's rows in a savepoint that is rolled back (NOT NULL, CHECK, foreign keys,
// domains, triggers). A statement that works before and fails after is broken by the
// migration; one that fails before too cannot be judged here ("unverified").
//
// Each probe runs as in a session of its own version that has just connected: settings, role
// and temporary tables reset (the migration's SET search_path is not the version's), then the
// version's earlier statements that set session state (SET search_path, SET ROLE, PREPARE, ...)
// run, in order; and once the schema is built, and again once the migration is applied,
// every SQL and PL/pgSQL function is made to compile afresh, so what the one shared session
// compiled before the migration cannot hide what it changed.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { scanSync } from "libpg-query";
import { contribBundles, contribExtensions } from "./contrib";
import { PgNode, Statement } from "./sql";
import { cacheDir } from "../package-root";

/** What PostgreSQL said, with the fields of its error report that name an object. */
export interface PgError {
    readonly message: string;
    readonly code?: string;
    readonly detail?: string;
    readonly hint?: string;
    readonly table?: string;
    readonly column?: string;
    readonly constraint?: string;
    readonly dataType?: string;
}

export interface ProbeStatement {
    readonly version: string;
    readonly text: string;
    readonly node: PgNode;
    /** Has $n parameters: PostgreSQL analyses it, but cannot run it without values. */
    readonly parameters: boolean;
    /**
     * The statements of its version before it whose session state it runs in, in order: every
     * SET and RESET (search_path, role, ...) and temporary table, the PREPARE (and DEALLOCATE)
     * of the name it EXECUTEs, the DECLARE of the cursor it FETCHes. A probe runs them first.
     */
    readonly session: readonly string[];
}

export interface Break {
    readonly probe: ProbeStatement;
    readonly error: PgError;
    /** analyse: PREPARE fails; run: it fails when it runs on the schema's rows. */
    readonly phase: "analyse" | "run";
    /** Index (in the migration) of the statement after which it started failing, when found. */
    readonly cause?: number;
}

export interface OracleResult {
    /** The schema does not build (a PGlite limitation, say an extension it lacks): nothing was judged. */
    readonly schemaError?: { readonly index: number; readonly error: PgError };
    /** The migration fails on the schema before it: live statements were not judged. */
    readonly migrationError?: { readonly index: number; readonly error: PgError };
    readonly breaks: readonly Break[];
    /**
     * Statements that fail before the migration and after it: PostgreSQL cannot say whether it
     * breaks them. (One that fails before and works after needs the migration: not here.)
     */
    readonly unverified: readonly { readonly probe: ProbeStatement; readonly error: PgError }[];
}

/** Migration statements applied at once, with a savepoint before each chunk. */
const chunkSize = 100;

const preparable = new Set(["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);
/**
 * Statements that change nothing in the database's schema, most of which cannot run in a
 * transaction (databases, tablespaces, ALTER SYSTEM, subscriptions, VACUUM, REINDEX): the oracle leaves them out.
 */
const skipped = new Set([
    "TransactionStmt", "VacuumStmt", "ClusterStmt", "ReindexStmt", "CheckPointStmt", "DiscardStmt", "ListenStmt", "UnlistenStmt", "NotifyStmt", "LoadStmt",
    "CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
    "CreateSubscriptionStmt", "AlterSubscriptionStmt", "DropSubscriptionStmt",
]);

const kind = (node: PgNode) => Object.keys(node)[0] ?? "";

/** Does the parse tree hold a $n parameter? A PREPARE's own are bound by its EXECUTE, so they do not count. */
export function hasParameters(node: unknown): boolean {
    if (Array.isArray(node)) {
        return node.some(hasParameters);
    }
    if (!node || typeof node !== "object" || "PrepareStmt" in node) {
        return false;
    }
    return "ParamRef" in node || Object.values(node).some(hasParameters);
}

/** SET and RESET change the session until it ends; SET TRANSACTION and SESSION CHARACTERISTICS (VAR_SET_MULTI) do not carry over here. */
const setsSession = (n: PgNode) =>
    (n.VariableSetStmt !== undefined && n.VariableSetStmt.kind !== "VAR_SET_MULTI") ||
    n.CreateStmt?.relation?.relpersistence === "t" ||
    n.CreateTableAsStmt?.into?.rel?.relpersistence === "t";

/** The prepared statement or cursor a statement uses by name, to find the statements that made it. */
function handle(n: PgNode): string | undefined {
    const name = n.ExecuteStmt?.name ?? n.PrepareStmt?.name ?? n.DeallocateStmt?.name;
    if (name !== undefined) {
        return `prepared ${name}`;
    }
    const cursor = n.DeclareCursorStmt?.portalname ?? n.FetchStmt?.portalname ?? n.ClosePortalStmt?.portalname;
    return cursor === undefined ? undefined : `cursor ${cursor}`;
}

/**
 * A version's statements as the oracle probes them, each with the session state its version's
 * earlier statements give it (see ProbeStatement.session): `SET search_path TO billing;
 * SELECT total FROM invoices` reads billing.invoices, and `PREPARE add(int) AS INSERT ...;
 * EXECUTE add(0)` runs the INSERT with 0.
 */
export function probeStatements(version: string, statements: readonly Statement[]): ProbeStatement[] {
    return statements.map((st, i) => {
        const uses = handle(st.node);
        const session = statements
            .slice(0, i)
            .filter((earlier) => setsSession(earlier.node) || (uses !== undefined && (handle(earlier.node) === uses || earlier.node.DeallocateStmt?.isall)))
            .map((earlier) => earlier.text);
        return { version, text: st.text, node: st.node, parameters: hasParameters(st.node), session };
    });
}

/** A quoted identifier: "Events 2025". */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A relation name as a string literal PostgreSQL's to_regclass reads: '"billing"."invoices"'. */
function regclassLiteral(rv: { readonly schemaname?: string; readonly relname?: string } | undefined): string {
    const name = `${rv?.schemaname ? `${ident(rv.schemaname)}.` : ""}${ident(rv?.relname ?? "")}`;
    return `'${name.replace(/'/g, "''")}'`;
}

/**
 * The text the oracle runs for a schema or migration statement inside its transaction, or
 * undefined to leave it out. PostgreSQL refuses CONCURRENTLY in a transaction; the oracle runs
 * the same change without it, since only the locks differ: CREATE/DROP INDEX as they are, and
 * ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY as a plain DETACH plus the CHECK
 * constraint the concurrent one leaves on the detached table (a copy of its partition
 * constraint, named as PostgreSQL names it: events_2025_at_check), so a later statement that
 * drops that constraint builds here too. VACUUM, transaction control and the like are left out.
 */
export function runnableText(st: Statement): string | undefined {
    const k = kind(st.node);
    if (skipped.has(k)) {
        return undefined;
    }
    const detach = st.node.AlterTableStmt?.cmds?.find((c) => c.AlterTableCmd?.subtype === "AT_DetachPartition")?.AlterTableCmd?.def?.PartitionCmd;
    const concurrent = st.node.IndexStmt?.concurrent || st.node.DropStmt?.concurrent || detach?.concurrent;
    if (!concurrent) {
        return st.text;
    }
    const token = scanSync(st.text).tokens.find((t: { text: string }) => t.text.toUpperCase() === "CONCURRENTLY");
    const plain = token ? st.text.slice(0, token.start) + st.text.slice(token.end) : st.text;
    if (!detach) {
        return plain;
    }
    return (
        `DO $zdr_detach$ DECLARE p regclass := to_regclass(${regclassLiteral(detach.name)}); ` +
        `c text := CASE WHEN p IS NULL THEN NULL ELSE pg_get_partition_constraintdef(p) END; ` +
        `BEGIN ${plain}; IF c IS NOT NULL THEN EXECUTE format('ALTER TABLE %s ADD CHECK (%s)', p, c); END IF; END $zdr_detach$`
    );
}

export function pgError(e: unknown): PgError {
    const x = e as Partial<PgError> & Error;
    const pick = (k: keyof PgError) => (typeof x[k] === "string" && x[k] !== "" ? { [k]: x[k] } : {});
    return { message: x.message ?? String(e), ...pick("code"), ...pick("detail"), ...pick("hint"), ...pick("table"), ...pick("column"), ...pick("constraint"), ...pick("dataType") };
}

let started: Promise<PGlite> | undefined;
/** The contrib extensions the shared PGlite was started with; a check that needs another restarts it with all of them. */
let startedWith: ReadonlySet<string> = new Set();
let queue: Promise<unknown> = Promise.resolve();

/**
 * A PGlite started from a copy of a freshly initialised database when one is cached (about
 * 0.5 s), else initialised now (initdb: about 3 s) and cached for the next process; with the
 * given contrib extensions (they live beside the data directory, so one copy serves all).
 */
async function createDatabase(contrib: ReadonlySet<string>): Promise<PGlite> {
    const { PGlite } = await import("@electric-sql/pglite");
    const extensions = await contribBundles(contrib);
    const version = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("@electric-sql/pglite")), "../package.json"), "utf8")).version as string;
    const cached = path.join(cacheDir, `pglite-${version}-initdb.tar.gz`);
    if (fs.existsSync(cached)) {
        try {
            return await PGlite.create({ loadDataDir: new Blob([fs.readFileSync(cached)]), extensions });
        } catch {
            // an unreadable copy: initialise afresh and replace it
        }
    }
    const db = await PGlite.create({ extensions });
    try {
        const dump = Buffer.from(await (await db.dumpDataDir("gzip")).arrayBuffer());
        fs.mkdirSync(cacheDir, { recursive: true });
        const partial = `${cached}.${process.pid}`;
        fs.writeFileSync(partial, dump);
        fs.renameSync(partial, cached);
    } catch {
        // no cache (a read-only install): every process initialises its own
    }
    return db;
}

/** The process's one PGlite, started on first use (a process that checks nothing never starts one). */
function database(contrib: readonly string[] = []): Promise<PGlite> {
    if (started && contrib.some((e) => !startedWith.has(e))) {
        const running = started;
        started = undefined;
        running.then((db) => db.close()).catch(() => undefined);
    }
    if (!started) {
        startedWith = new Set([...startedWith, ...contrib]);
        const starting = createDatabase(startedWith);
        started = starting;
        starting.catch(() => {
            if (started === starting) {
                started = undefined; // the next check tries again
            }
        });
    }
    return started;
}

/** Runs f alone on the shared database, started with the `contrib` extensions: checks never interleave their transactions. */
function exclusive<T>(contrib: readonly string[], f: (db: PGlite) => Promise<T>): Promise<T> {
    const run = queue.then(async () => f(await database(contrib)));
    queue = run.catch(() => undefined);
    return run;
}

/** Stops the shared PGlite (tests and the bench; a CLI run just exits). */
export async function closeOracle(): Promise<void> {
    const db = started;
    started = undefined;
    startedWith = new Set();
    if (db) {
        await queue;
        await (await db).close();
    }
}

const joined = (texts: readonly string[]) => texts.join("\n;\n");

/** Applies statements in order; on failure, finds the failing one. Leaves the transaction aborted on failure. */
async function apply(db: PGlite, statements: readonly Statement[]): Promise<{ index: number; error: PgError } | undefined> {
    const texts = statements.map(runnableText);
    await db.exec("SAVEPOINT zdr_apply");
    try {
        const batch = texts.filter((t): t is string => t !== undefined);
        if (batch.length > 0) {
            await db.exec(joined(batch));
        }
        await db.exec("RELEASE SAVEPOINT zdr_apply");
        return undefined;
    } catch (e) {
        await db.exec("ROLLBACK TO SAVEPOINT zdr_apply");
        for (let i = 0; i < texts.length; i++) {
            const text = texts[i];
            if (text === undefined) {
                continue;
            }
            try {
                await db.exec(text);
            } catch (err) {
                return { index: i, error: pgError(err) };
            }
        }
        return { index: -1, error: pgError(e) };
    }
}

/**
 * Makes the session compile every SQL and PL/pgSQL function afresh at its next call, as a
 * session that connects after the migration does. A session keeps a function compiled at its
 * first call (a PL/pgSQL variable declared `products.price%TYPE` keeps the type it had then);
 * DISCARD does not drop it, but a new version of the function's pg_proc row does (and rolling
 * back to a savepoint before that version restores an older one: afresh once more).
 */
const recompileFunctions =
    "UPDATE pg_catalog.pg_proc SET prosrc = prosrc WHERE prolang NOT IN (SELECT oid FROM pg_catalog.pg_language WHERE lanname IN ('internal', 'c')) " +
    "AND pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)";

/**
 * recompileFunctions as the superuser PGlite connects as, between statements of the schema or
 * migration: a `SET ROLE owner` they ran stays in force for the statements after it.
 */
async function recompile(db: PGlite): Promise<void> {
    const [who] = (await db.query<{ role: string; session: string }>("SELECT current_user AS role, session_user AS session")).rows;
    const restore = [`SET SESSION AUTHORIZATION ${ident(who.session)}`, ...(who.role === who.session ? [] : [`SET ROLE ${ident(who.role)}`])];
    await db.exec(["SET SESSION AUTHORIZATION DEFAULT", recompileFunctions, ...restore].join(";\n"));
}

/**
 * A new session's settings, role and temporary tables: what the schema history or the migration
 * set in the one shared session (`SET search_path TO billing`, `SET ROLE owner`) is not what a
 * server of a live version connects with.
 */
const newSession = "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP";

/**
 * PREPAREs the statement and, without parameters, runs it, in a new session with its version's
 * session state; every effect is rolled back.
 */
async function probe(db: PGlite, p: ProbeStatement): Promise<{ phase: "analyse" | "run"; error: PgError } | undefined> {
    const k = kind(p.node);
    if (skipped.has(k)) {
        return undefined;
    }
    if (!preparable.has(k) && p.parameters) {
        return { phase: "analyse", error: { message: `a ${k} with $n parameters cannot be prepared` } };
    }
    await db.exec("SAVEPOINT zdr_probe");
    await db.exec(newSession);
    for (const text of p.session) {
        // One that fails (SET ROLE to a role the migration dropped) is judged as a probe itself.
        await db.exec("SAVEPOINT zdr_session");
        try {
            await db.exec(text);
        } catch {
            await db.exec("ROLLBACK TO SAVEPOINT zdr_session");
        }
        await db.exec("RELEASE SAVEPOINT zdr_session");
    }
    let failure: { phase: "analyse" | "run"; error: PgError } | undefined;
    try {
        if (preparable.has(k)) {
            await db.exec(`PREPARE zdr_probe AS ${p.text}`);
            await db.exec("DEALLOCATE zdr_probe");
        }
    } catch (e) {
        failure = { phase: "analyse", error: pgError(e) };
    }
    if (!failure && !p.parameters) {
        try {
            await db.exec(p.text);
        } catch (e) {
            failure = { phase: "run", error: pgError(e) };
        }
    }
    await db.exec("ROLLBACK TO SAVEPOINT zdr_probe");
    await db.exec("RELEASE SAVEPOINT zdr_probe");
    if (k === "PrepareStmt" || k === "ExecuteStmt" || k === "DeallocateStmt") {
        await db.exec("DEALLOCATE ALL"); // prepared statements outlive a rollback
    }
    return failure;
}

async function judge(db: PGlite, schema: readonly Statement[], migration: readonly Statement[], probes: readonly ProbeStatement[]): Promise<OracleResult> {
    // Only functions written in SQL or a procedural language are compiled by a session.
    const compiles = [...schema, ...migration].some((st) => st.node.CreateFunctionStmt !== undefined || st.node.CreateExtensionStmt !== undefined);
    const fresh = () => (compiles ? recompile(db) : undefined);
    await db.exec("BEGIN");
    const schemaError = await apply(db, schema);
    if (schemaError) {
        return { schemaError, breaks: [], unverified: [] };
    }
    await fresh();
    await db.exec("SAVEPOINT zdr_before");
    const before: (Awaited<ReturnType<typeof probe>>)[] = [];
    for (const p of probes) {
        before.push(await probe(db, p));
    }
    const unverified = probes.flatMap((p, i) => (before[i] ? [{ probe: p, error: before[i]!.error }] : []));
    // The migration in chunks, a savepoint before each: the search for a break's cause below
    // walks back through them instead of applying the migration again.
    const chunks: { start: number; texts: (string | undefined)[] }[] = [];
    for (let start = 0; start < migration.length; start += chunkSize) {
        const texts = migration.slice(start, start + chunkSize).map(runnableText);
        await db.exec(`SAVEPOINT zdr_chunk_${chunks.length}`);
        chunks.push({ start, texts });
        const failed = await apply(db, migration.slice(start, start + chunkSize));
        if (failed) {
            return { migrationError: { index: failed.index < 0 ? -1 : start + failed.index, error: failed.error }, breaks: [], unverified };
        }
    }
    await fresh();
    const found: Break[] = [];
    /** Fail before the migration and work after it: they need it (a release's new statement), which is expected. */
    const needMigration = new Set<ProbeStatement>();
    for (let i = 0; i < probes.length; i++) {
        const after = await probe(db, probes[i]);
        if (before[i] && !after) {
            needMigration.add(probes[i]);
        } else if (!before[i] && after) {
            found.push({ probe: probes[i], ...after });
        }
    }
    // A break's cause is the statement after which the live statement last went from working
    // to failing. Walk back chunk by chunk (rolling back is cheap) to the last state in which it
    // still works, then replay that chunk one statement at a time.
    const cause: (number | undefined)[] = found.map(() => undefined);
    const fails = async (j: number) => (await probe(db, found[j].probe)) !== undefined;
    let pending = found.map((_, j) => j);
    for (let k = chunks.length - 1; k >= 0 && pending.length > 0; k--) {
        await db.exec(`ROLLBACK TO SAVEPOINT zdr_chunk_${k}`);
        const works: number[] = [];
        for (const j of pending) {
            if (!(await fails(j))) {
                works.push(j);
            }
        }
        if (works.length === 0) {
            continue;
        }
        const failing = new Map(works.map((j) => [j, false]));
        for (const [m, text] of chunks[k].texts.entries()) {
            if (text === undefined) {
                continue;
            }
            await db.exec(text);
            await fresh();
            for (const j of works) {
                const now = await fails(j);
                if (now && !failing.get(j)) {
                    cause[j] = chunks[k].start + m;
                }
                failing.set(j, now);
            }
        }
        await db.exec(`ROLLBACK TO SAVEPOINT zdr_chunk_${k}`);
        pending = pending.filter((j) => !works.includes(j));
    }
    return { breaks: found.map((b, j) => (cause[j] === undefined ? b : { ...b, cause: cause[j] })), unverified: unverified.filter((u) => !needMigration.has(u.probe)) };
}

/**
 * Builds `schema` in PostgreSQL, applies `migration`, and probes every live statement before
 * and after it. Everything is rolled back; checks in one process share one PGlite, one at a time.
 */
export function runOracle(schema: readonly Statement[], migration: readonly Statement[], probes: readonly ProbeStatement[]): Promise<OracleResult> {
    return exclusive(contribExtensions([...schema, ...migration]), async (db) => {
        try {
            return await judge(db, schema, migration, probes);
        } finally {
            await db.exec("ROLLBACK");
            await db.exec("DISCARD ALL");
        }
    });
}
