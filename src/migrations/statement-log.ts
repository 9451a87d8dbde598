// What a version was seen running: PostgreSQL's statement log, one application_name per
// version, merged into that version's statement set, so a statement missing from its query
// file is still protected by the schema guard.
//
// The log is PostgreSQL's jsonlog (log_destination = 'jsonlog', log_statement = 'all', or
// log_min_duration_statement = 0): one JSON object a line, with `application_name`,
// `error_severity` and `message`, the message being one of
//   statement: SELECT 1
//   execute <unnamed>: INSERT INTO orders (product_id) VALUES ($1)
//   duration: 0.052 ms  statement: SELECT 1
//   duration: 0.110 ms  execute S_1: SELECT id FROM products WHERE id = $1
import * as fs from "node:fs";
import { fingerprintSync } from "libpg-query";
import { parseSql, Statement } from "./sql";

/** The application_name a version's servers connect with. */
export const applicationName = (version: string) => `zdr:${version}`;

const statementMessage = /^(?:duration: [\d.]+ ms\s+)?(?:statement|execute [^:]*): ([\s\S]+)$/;
/** Statements that say nothing about the schema a version needs. */
const ignored = new Set(["TransactionStmt", "VariableSetStmt", "VariableShowStmt", "DiscardStmt", "DeallocateStmt"]);

/**
 * The statements one application_name ran, in first-seen order, each once (by PostgreSQL's
 * fingerprint, which ignores literal values and layout). Lines that are not JSON, other
 * applications, errors and statements that do not parse are left out. Call loadParser() first.
 */
export function loggedStatements(log: string, application: string): Statement[] {
    const seen = new Set<string>();
    const seenMessages = new Set<string>();
    const statements: Statement[] = [];
    for (const line of log.split("\n")) {
        if (!line.includes(application)) {
            continue; // cheap: most lines of a busy log are other versions' or repeats
        }
        let entry: { application_name?: unknown; error_severity?: unknown; message?: unknown };
        try {
            entry = JSON.parse(line);
        } catch {
            continue;
        }
        if (entry?.application_name !== application || entry.error_severity !== "LOG" || typeof entry.message !== "string") {
            continue;
        }
        if (seenMessages.has(entry.message)) {
            continue;
        }
        seenMessages.add(entry.message);
        const sql = statementMessage.exec(entry.message)?.[1];
        if (sql === undefined) {
            continue;
        }
        let parsed: Statement[];
        try {
            parsed = parseSql(sql, "statement log");
        } catch {
            continue;
        }
        for (const st of parsed) {
            const key = fingerprintSync(st.text);
            if (!ignored.has(Object.keys(st.node)[0]) && !seen.has(key)) {
                seen.add(key);
                statements.push(st);
            }
        }
    }
    return statements;
}

/**
 * A version's statement set: its query file plus what the log saw it run that the file lacks.
 * A version whose file is unknown stays unknown (it counts as using everything): the log only
 * shows what happened to run, never all a version may run.
 */
export function mergeStatements(querySql: string | undefined, logged: readonly Statement[]): string | undefined {
    if (querySql === undefined) {
        return undefined;
    }
    const known = new Set(parseSql(querySql, "queries").map((st) => fingerprintSync(st.text)));
    const extra = logged.filter((st) => !known.has(fingerprintSync(st.text)));
    return extra.length === 0 ? querySql : `${querySql.trimEnd()}\n-- seen in PostgreSQL's statement log, not in the file:\n${extra.map((st) => `${st.text};`).join("\n")}\n`;
}

/**
 * The last `maxBytes` of a statement log, from its first whole line; "" when there is none yet.
 * Bounded: a long-lived stack's log is large, and what versions run recently is what matters.
 */
export function readLogTail(file: string, maxBytes = 16 * 2 ** 20): string {
    let fd: number;
    try {
        fd = fs.openSync(file, "r");
    } catch {
        return "";
    }
    try {
        const size = fs.fstatSync(fd).size;
        const start = Math.max(0, size - maxBytes);
        const buf = Buffer.alloc(size - start);
        fs.readSync(fd, buf, 0, buf.length, start);
        const text = buf.toString("utf8");
        return start === 0 ? text : text.slice(text.indexOf("\n") + 1);
    } finally {
        fs.closeSync(fd);
    }
}
