// SQL through the real PostgreSQL parser (libpg-query 18: PostgreSQL 18's parser as WASM).
import type { Node, ParseResult, RangeVar } from "@pgsql/types";
import { loadModule, parseSync } from "libpg-query";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every node of PostgreSQL's parse tree by its tag: { AlterTableStmt: AlterTableStmt, ... }. */
type Tagged = UnionToIntersection<Node>;

/**
 * A parse-tree node (@pgsql/types, the types of the libpg-query version we parse with) read by
 * its tag, the way the JSON comes: `n.AlterTableStmt?.cmds`. Every tag is optional (a node has
 * exactly one), and nested nodes are PgNodes too.
 */
export type PgNode = { readonly [K in keyof Tagged]?: View<Tagged[K]> };
/** A node's fields with every nested Node read as a PgNode. */
export type View<T> = T extends Node ? PgNode : T extends readonly (infer E)[] ? View<E>[] : T extends object ? { readonly [K in keyof T]: View<T[K]> } : T;

export interface Statement {
    /** The parse tree node, e.g. { AlterTableStmt: {...} }. */
    readonly node: PgNode;
    /** The statement's own text. */
    readonly text: string;
    /** Offset of the statement in the source. */
    readonly location: number;
}

export class SqlSyntaxError extends Error {
    constructor(readonly file: string, readonly line: number, readonly column: number, message: string) {
        super(`${file}:${line}:${column}: ${message}`);
        this.name = "SqlSyntaxError";
    }
}

let loaded: Promise<void> | undefined;

/** Loads the parser once; every parse after it is synchronous. */
export function loadParser(): Promise<void> {
    loaded ??= loadModule();
    return loaded;
}

function position(sql: string, offset: number): { line: number; column: number } {
    const before = sql.slice(0, offset);
    const line = before.split("\n").length;
    return { line, column: offset - before.lastIndexOf("\n") };
}

/** Parses SQL into statements; a syntax error names the file, line and column. Call loadParser() first. */
export function parseSql(sql: string, file = "<sql>"): Statement[] {
    let tree: View<ParseResult>;
    try {
        tree = parseSync(sql) as View<ParseResult>;
    } catch (e) {
        const err = e as Error & { cursorPosition?: number; sqlDetails?: { cursorPosition?: number } };
        const cursor = err.sqlDetails?.cursorPosition ?? err.cursorPosition ?? 0;
        const { line, column } = position(sql, cursor); // cursorPosition is a 0-based offset
        throw new SqlSyntaxError(file, line, column, err.message);
    }
    return (tree.stmts ?? []).map((s) => {
        const location = s.stmt_location ?? 0;
        const text = (s.stmt_len ? sql.slice(location, location + s.stmt_len) : sql.slice(location)).trim().replace(/;$/, "");
        return { node: s.stmt ?? {}, text, location };
    });
}

/** `schema.name` or `name` of a RangeVar, lower-cased, with the default schema `public` dropped. */
export function relationName(rv: View<RangeVar> | undefined): string {
    const schema = rv?.schemaname && rv.schemaname !== "public" ? `${rv.schemaname}.` : "";
    return `${schema}${rv?.relname ?? ""}`;
}

/** The dotted name of a list of String nodes (function and type names). */
export function qualifiedName(names: readonly PgNode[] | undefined): string {
    const parts = (names ?? []).map((n) => n.String?.sval ?? "").filter((p) => p !== "" && p !== "public" && p !== "pg_catalog");
    return parts.join(".");
}
