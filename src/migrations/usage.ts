// What a version's SQL uses: tables and their columns (read, inserted, updated), functions and
// types, taken from the parse tree through aliases, joins, subqueries, CTEs, WHERE clauses,
// INSERT and UPDATE column lists and `*`.
import type { ColumnRef, DeleteStmt, FuncCall, InsertStmt, RangeVar, SelectStmt, TypeCast, UpdateStmt, VariableSetStmt, WithClause } from "@pgsql/types";
import { PgNode, qualifiedName, relationName, Statement, View } from "./sql";

export class TableUsage {
    readonly reads = new Set<string>();
    readAll = false;
    inserts = false;
    /** INSERT without a column list: every column, by position. */
    insertAll = false;
    readonly insertColumns = new Set<string>();
    readonly updates = new Set<string>();
    deletes = false;

    /** Does this usage touch column c in any way? */
    usesColumn(c: string): boolean {
        return this.readAll || this.insertAll || this.reads.has(c) || this.insertColumns.has(c) || this.updates.has(c);
    }

    /** Does an INSERT of this usage leave column c to its default? */
    insertOmits(c: string): boolean {
        return this.inserts && !this.insertAll && !this.insertColumns.has(c);
    }

    get writes(): boolean {
        return this.inserts || this.updates.size > 0;
    }
}

export class Usage {
    readonly tables = new Map<string, TableUsage>();
    readonly functions = new Set<string>();
    readonly types = new Set<string>();
    /** Schemas a SET search_path names: the version's unqualified names may live in any of them. */
    readonly schemas = new Set<string>();

    table(name: string): TableUsage {
        let t = this.tables.get(name);
        if (!t) {
            this.tables.set(name, (t = new TableUsage()));
        }
        return t;
    }
}

/** Column names per table, from CREATE TABLE statements; lets unqualified columns be resolved. */
export type SchemaColumns = ReadonlyMap<string, ReadonlySet<string>>;

interface Scope {
    /** alias or name -> table; null for a derived table or CTE. */
    readonly names: Map<string, string | null>;
    readonly parent?: Scope;
    readonly ctes: Set<string>;
}

const newScope = (parent?: Scope): Scope => ({ names: new Map(), parent, ctes: new Set(parent?.ctes ?? []) });


export function extractUsage(statements: readonly Statement[], schema?: SchemaColumns): Usage {
    const usage = new Usage();

    const visit = (node: unknown, scope: Scope): void => {
        if (Array.isArray(node)) {
            node.forEach((n) => visit(n, scope));
            return;
        }
        if (!node || typeof node !== "object") {
            return;
        }
        for (const [key, value] of Object.entries(node)) {
            switch (key) {
                // the value of a node's tag is that node's fields (sql.ts: PgNode)
                case "SelectStmt":
                    select(value as View<SelectStmt>, scope);
                    break;
                case "InsertStmt":
                    insert(value as View<InsertStmt>, scope);
                    break;
                case "UpdateStmt":
                    update(value as View<UpdateStmt>, scope);
                    break;
                case "DeleteStmt":
                    del(value as View<DeleteStmt>, scope);
                    break;
                case "ColumnRef":
                    column(value as View<ColumnRef>, scope);
                    break;
                case "RangeVar":
                    usage.table(relationName(value as View<RangeVar>));
                    break;
                case "FuncCall": {
                    const f = value as View<FuncCall>;
                    usage.functions.add(qualifiedName(f.funcname));
                    visit({ ...f, funcname: undefined }, scope);
                    break;
                }
                case "VariableSetStmt": {
                    const set = value as View<VariableSetStmt>;
                    for (const arg of set.name === "search_path" ? (set.args ?? []) : []) {
                        if (arg.A_Const?.sval?.sval) {
                            usage.schemas.add(arg.A_Const.sval.sval);
                        }
                    }
                    break;
                }
                case "TypeCast": {
                    const t = value as View<TypeCast>;
                    usage.types.add(qualifiedName(t.typeName?.names));
                    visit(t.arg, scope);
                    break;
                }
                default:
                    visit(value, scope);
            }
        }
    };

    const lookup = (name: string, scope: Scope | undefined): string | null | undefined => {
        for (let s = scope; s; s = s.parent) {
            if (s.names.has(name)) {
                return s.names.get(name);
            }
        }
        return undefined;
    };

    const column = (ref: View<ColumnRef>, scope: Scope) => {
        const fields = ref.fields ?? [];
        const star = fields.some((f) => f.A_Star);
        const names = fields.map((f) => f.String?.sval).filter((n) => n !== undefined);
        if (names.length >= (star ? 1 : 2)) {
            // qualified: alias.col, table.col, schema.table.col, alias.*
            const qualifier = star ? names[names.length - 1] : names[names.length - 2];
            const table = lookup(qualifier, scope);
            if (table) {
                if (star) {
                    usage.table(table).readAll = true;
                } else {
                    usage.table(table).reads.add(names[names.length - 1]);
                }
            }
            return;
        }
        // unqualified: the innermost scope with tables; with a schema, the tables that have the column
        for (let s: Scope | undefined = scope; s; s = s.parent) {
            const tables = [...s.names.values()].filter((t): t is string => t !== null);
            if (s.names.size === 0) {
                continue;
            }
            if (star) {
                tables.forEach((t) => (usage.table(t).readAll = true));
                return;
            }
            const col = names[0];
            const owners = schema ? tables.filter((t) => schema.get(t)?.has(col)) : tables;
            if (owners.length > 0 || !schema) {
                owners.forEach((t) => usage.table(t).reads.add(col));
                return;
            }
        }
    };

    const withClause = (w: View<WithClause> | undefined, scope: Scope) => {
        for (const cte of w?.ctes ?? []) {
            const c = cte.CommonTableExpr;
            visit(c?.ctequery, scope);
            if (c?.ctename) {
                scope.ctes.add(c.ctename);
            }
        }
    };

    const from = (item: PgNode | undefined, scope: Scope, deferred: unknown[]) => {
        if (!item) {
            return;
        }
        if (item.RangeVar) {
            const rv = item.RangeVar;
            const name = relationName(rv);
            const isCte = !rv.schemaname && scope.ctes.has(rv.relname ?? "");
            if (!isCte) {
                usage.table(name);
            }
            scope.names.set(rv.alias?.aliasname ?? rv.relname ?? "", isCte ? null : name);
        } else if (item.JoinExpr) {
            const j = item.JoinExpr;
            from(j.larg, scope, deferred);
            from(j.rarg, scope, deferred);
            deferred.push(j.quals);
            for (const u of j.usingClause ?? []) {
                deferred.push({ ColumnRef: { fields: [u] } });
            }
        } else if (item.RangeSubselect) {
            const r = item.RangeSubselect;
            visit(r.subquery, r.lateral ? scope : scope.parent ?? newScope());
            if (r.alias?.aliasname) {
                scope.names.set(r.alias.aliasname, null);
            }
        } else {
            deferred.push(item);
        }
    };

    const select = (s: View<SelectStmt> | undefined, outer: Scope) => {
        if (!s) {
            return;
        }
        const scope = newScope(outer);
        withClause(s.withClause, scope);
        if (s.op && s.op !== "SETOP_NONE") {
            select(s.larg, scope);
            select(s.rarg, scope);
            return;
        }
        const deferred: unknown[] = [];
        for (const item of s.fromClause ?? []) {
            from(item, scope, deferred);
        }
        visit([s.targetList, s.whereClause, s.groupClause, s.havingClause, s.sortClause, s.valuesLists, s.limitCount, s.limitOffset, deferred], scope);
    };

    const target = (rv: View<RangeVar> | undefined, scope: Scope): string => {
        const name = relationName(rv);
        scope.names.set(rv?.alias?.aliasname ?? rv?.relname ?? "", name);
        return name;
    };

    const insert = (s: View<InsertStmt>, outer: Scope) => {
        const scope = newScope(outer);
        withClause(s.withClause, scope);
        const table = usage.table(target(s.relation, scope));
        table.inserts = true;
        if (!s.cols || s.cols.length === 0) {
            table.insertAll = true;
        }
        for (const c of s.cols ?? []) {
            if (c.ResTarget?.name) {
                table.insertColumns.add(c.ResTarget.name);
            }
        }
        visit(s.selectStmt, newScope(outer));
        visit([s.onConflictClause, s.returningClause], scope);
    };

    const update = (s: View<UpdateStmt>, outer: Scope) => {
        const scope = newScope(outer);
        withClause(s.withClause, scope);
        const table = usage.table(target(s.relation, scope));
        const deferred: unknown[] = [];
        for (const item of s.fromClause ?? []) {
            from(item, scope, deferred);
        }
        for (const t of s.targetList ?? []) {
            if (t.ResTarget?.name) {
                table.updates.add(t.ResTarget.name);
            }
            visit(t.ResTarget?.val, scope);
        }
        visit([s.whereClause, s.returningClause, deferred], scope);
    };

    const del = (s: View<DeleteStmt>, outer: Scope) => {
        const scope = newScope(outer);
        withClause(s.withClause, scope);
        usage.table(target(s.relation, scope)).deletes = true;
        const deferred: unknown[] = [];
        for (const item of s.usingClause ?? []) {
            from(item, scope, deferred);
        }
        visit([s.whereClause, s.returningClause, deferred], scope);
    };

    for (const st of statements) {
        visit(st.node, newScope());
    }
    return usage;
}
