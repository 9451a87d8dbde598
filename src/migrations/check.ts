// The migration checker: which statements of a migration break a version that is still live,
// and which take locks or rewrite tables. A destructive change passes exactly when no live
// version (the fleet's, the release, the rollback target) uses the object; a version whose
// usage is unknown counts as using everything.
import { parseSql, qualifiedName, relationName, Statement } from "./sql";
import { extractUsage, SchemaColumns, Usage } from "./usage";
import { Rule, rules, Severity } from "./rules";

export interface LiveVersion {
    readonly version: string;
    /** Why it is live: it runs on servers, it is being released, or it is the rollback target. */
    /** live: runs after the stage; running: runs now, before the stage moves it; release; rollback. */
    readonly role: "live" | "running" | "release" | "rollback";
    /** The SQL the version runs; undefined when unknown (it then counts as using everything). */
    readonly sql?: string;
}

export interface CheckInput {
    readonly migration: string;
    readonly migrationFile?: string;
    /** The schema before the migration, to resolve unqualified columns, NOT NULL and enum columns. */
    readonly schema?: string;
    readonly live: readonly LiveVersion[];
}

export interface Violation {
    readonly rule: string;
    readonly severity: Severity;
    readonly statement: string;
    readonly object: string;
    readonly message: string;
    /** The live versions that still use the object (compatibility rules). */
    readonly versions?: readonly string[];
}

export interface CheckResult {
    readonly verdict: "safe" | "blocked";
    readonly violations: readonly Violation[];
}

interface SchemaInfo {
    readonly columns: Map<string, Set<string>>;
    readonly notNull: Map<string, Set<string>>;
    /** table -> column -> type as written, e.g. "varchar(20)" */
    readonly types: Map<string, Map<string, string>>;
    /** enum type -> "table.column" of the columns of that type */
    readonly enumColumns: Map<string, { table: string; column: string }[]>;
    readonly known: boolean;
}

function schemaInfo(statements: readonly Statement[] | undefined): SchemaInfo {
    const info: SchemaInfo = { columns: new Map(), notNull: new Map(), types: new Map(), enumColumns: new Map(), known: statements !== undefined };
    const enums = new Set<string>();
    for (const st of statements ?? []) {
        if (st.node.CreateEnumStmt) {
            enums.add(qualifiedName(st.node.CreateEnumStmt.typeName));
        }
        const create = st.node.CreateStmt;
        if (!create) {
            continue;
        }
        const table = relationName(create.relation);
        const cols = new Set<string>();
        const notNull = new Set<string>();
        const types = new Map<string, string>();
        for (const elt of create.tableElts ?? []) {
            const def = elt.ColumnDef;
            if (!def) {
                continue;
            }
            cols.add(def.colname);
            const contypes = (def.constraints ?? []).map((c: any) => c.Constraint?.contype);
            if (contypes.includes("CONSTR_NOTNULL") || contypes.includes("CONSTR_PRIMARY")) {
                notNull.add(def.colname);
            }
            const type = qualifiedName(def.typeName?.names);
            types.set(def.colname, typeText(def.typeName));
            if (enums.has(type)) {
                info.enumColumns.set(type, [...(info.enumColumns.get(type) ?? []), { table, column: def.colname }]);
            }
        }
        info.columns.set(table, cols);
        info.notNull.set(table, notNull);
        info.types.set(table, types);
    }
    return info;
}

const volatileFunctions = new Set(["random", "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "clock_timestamp", "timeofday", "nextval", "txid_current", "statement_timestamp"]);
const serialTypes = new Set(["serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"]);
/** Type changes that never fail an old version's reads or writes: widening only. */
const widening: [RegExp, RegExp][] = [
    [/^(varchar|bpchar)(\(\d+\))?$/, /^text$/],
    [/^int2$/, /^(int4|int8|numeric)$/],
    [/^int4$/, /^(int8|numeric)$/],
    [/^float4$/, /^float8$/],
];

/** Is from -> to a widening? varchar(n) -> varchar(m >= n) and the pairs above. */
export function isWidening(from: string | undefined, to: string): boolean {
    if (from === undefined) {
        return false;
    }
    const len = (t: string) => /^varchar\((\d+)\)$/.exec(t)?.[1];
    if (len(from) !== undefined && (to === "varchar" || (len(to) !== undefined && Number(len(to)) >= Number(len(from))))) {
        return true;
    }
    return widening.some(([a, b]) => a.test(from) && b.test(to));
}

function containsVolatileCall(node: unknown): boolean {
    if (Array.isArray(node)) {
        return node.some(containsVolatileCall);
    }
    if (!node || typeof node !== "object") {
        return false;
    }
    const n = node as Record<string, any>;
    if (n.FuncCall && volatileFunctions.has(qualifiedName(n.FuncCall.funcname))) {
        return true;
    }
    return Object.values(n).some(containsVolatileCall);
}

function typeText(typeName: any): string {
    const name = qualifiedName(typeName?.names);
    const mods = (typeName?.typmods ?? []).map((m: any) => m.A_Const?.ival?.ival ?? "").join(",");
    return mods ? `${name}(${mods})` : name;
}

export function checkMigration(input: CheckInput): CheckResult {
    const statements = parseSql(input.migration, input.migrationFile ?? "migration");
    const schema = schemaInfo(input.schema !== undefined ? parseSql(input.schema, "schema") : undefined);
    const resolvable: SchemaColumns | undefined = schema.known ? schema.columns : undefined;
    const live = input.live.map((v) => ({
        ...v,
        usage: v.sql === undefined ? undefined : extractUsage(parseSql(v.sql, `queries of ${v.version}`), resolvable),
    }));
    const violations: Violation[] = [];
    const created = new Set<string>();
    /** NOT NULL columns as this migration goes: the schema's, plus those it adds or sets. */
    const notNull = (table: string) => {
        let set = schema.notNull.get(table);
        if (!set) {
            schema.notNull.set(table, (set = new Set()));
        }
        return set;
    };
    let lockTimeout = false;
    let warnedTimeout = false;

    /** Live versions for which `uses` holds; unknown usage counts as using. */
    const users = (uses: (u: Usage) => boolean) => live.filter((v) => v.usage === undefined || uses(v.usage)).map((v) => v.version);
    const liveList = live.map((v) => `${v.version} (${v.role})`).join(", ") || "none";

    const block = (rule: Rule, st: Statement, object: string, using: string[], how: string, later: string) => {
        if (using.length === 0) {
            return;
        }
        const unknown = live.filter((v) => v.usage === undefined && using.includes(v.version)).map((v) => v.version);
        const why = unknown.length > 0 ? ` (usage of ${unknown.join(", ")} is unknown, so it counts as using everything)` : "";
        violations.push({
            rule: rule.id,
            severity: "block",
            statement: st.text,
            object,
            versions: using,
            message: `${rule.id}: \`${st.text}\` ${how} ${object}, which ${using.join(", ")} still ${using.length > 1 ? "use" : "uses"}${why}; live versions: ${liveList}. ${later}`,
        });
    };
    const cascade = (object: string) =>
        `Ship it in a later release, once no live or rollback version uses ${object}: first release a version that stops using it, promote that version to stable, then release this change.`;
    const warn = (rule: Rule, st: Statement, object: string, advice = "") =>
        violations.push({ rule: rule.id, severity: "warn", statement: st.text, object, message: `${rule.id}: \`${st.text}\`: ${rule.summary}${advice}` });
    const ddlOnExisting = (st: Statement, table: string) => {
        if (!lockTimeout && !warnedTimeout && !created.has(table)) {
            warnedTimeout = true;
            warn(rules.noLockTimeout, st, table, "; start the migration with SET lock_timeout = '2s'");
        }
    };

    for (const st of statements) {
        const n = st.node;
        if (n.VariableSetStmt?.name === "lock_timeout") {
            lockTimeout = true;
        } else if (n.CreateStmt) {
            created.add(relationName(n.CreateStmt.relation));
        } else if (n.AlterTableStmt && (n.AlterTableStmt.objtype ?? "OBJECT_TABLE") === "OBJECT_TABLE") {
            const table = relationName(n.AlterTableStmt.relation);
            if (created.has(table)) {
                continue;
            }
            ddlOnExisting(st, table);
            for (const c of n.AlterTableStmt.cmds ?? []) {
                const cmd = c.AlterTableCmd;
                const col = cmd.name as string;
                const object = `${table}.${col}`;
                switch (cmd.subtype) {
                    case "AT_DropColumn":
                        block(rules.dropColumn, st, object, users((u) => u.tables.get(table)?.usesColumn(col) ?? false), "drops", cascade(object));
                        break;
                    case "AT_AlterColumnType": {
                        // Without the old type (no schema) a widening cannot be told from a narrowing.
                        const to = typeText(cmd.def?.ColumnDef?.typeName);
                        const widens = isWidening(schema.types.get(table)?.get(col), to) && !cmd.def?.ColumnDef?.raw_default;
                        if (!widens) {
                            block(rules.changeColumnType, st, object, users((u) => u.tables.get(table)?.usesColumn(col) ?? false), "changes the type of", `Add a new column of the new type, write both from a release, backfill, and switch readers over in later releases.`);
                        }
                        warn(rules.typeRewrite, st, object);
                        break;
                    }
                    case "AT_AddColumn": {
                        const def = cmd.def.ColumnDef;
                        const name = def.colname as string;
                        const cons = (def.constraints ?? []).map((x: any) => x.Constraint);
                        const has = (t: string) => cons.some((x: any) => x.contype === t);
                        const isSerial = serialTypes.has(qualifiedName(def.typeName?.names));
                        if (has("CONSTR_NOTNULL") || has("CONSTR_PRIMARY")) {
                            notNull(table).add(name);
                        }
                        if (has("CONSTR_NOTNULL") && !has("CONSTR_DEFAULT") && !has("CONSTR_IDENTITY") && !has("CONSTR_GENERATED") && !isSerial) {
                            block(rules.addRequiredColumn, st, `${table}.${name}`, users((u) => u.tables.get(table)?.inserts ?? false), "adds the NOT NULL column without a default", `Add it with a DEFAULT (or nullable), and make it required in a later release once every live version writes it.`);
                        }
                        const def0 = cons.find((x: any) => x.contype === "CONSTR_DEFAULT");
                        if (def0 && containsVolatileCall(def0.raw_expr)) {
                            warn(rules.volatileDefault, st, `${table}.${name}`, "; add the column without a default, set the default, then backfill in batches");
                        }
                        if (isSerial || has("CONSTR_IDENTITY")) {
                            warn(rules.serialColumn, st, `${table}.${name}`);
                        }
                        break;
                    }
                    case "AT_SetNotNull":
                        notNull(table).add(col);
                        block(rules.setNotNull, st, object, users((u) => {
                            const t = u.tables.get(table);
                            return t !== undefined && (t.insertOmits(col) || t.updates.has(col));
                        }), "makes NOT NULL", `Make it required in a later release, once every live version writes ${object} on every INSERT and never writes NULL.`);
                        warn(rules.notNullScan, st, object);
                        break;
                    case "AT_ColumnDefault":
                        if (!cmd.def && !(schema.known && !notNull(table).has(col))) {
                            block(rules.dropDefault, st, object, users((u) => u.tables.get(table)?.insertOmits(col) ?? false), "drops the default of", `Drop it in a later release, once every live version writes ${object} on INSERT.`);
                        }
                        break;
                    case "AT_AddConstraint": {
                        const con = cmd.def.Constraint;
                        const kind = String(con.contype).replace("CONSTR_", "").toLowerCase();
                        if (["check", "unique", "primary", "foreign", "exclusion"].includes(kind)) {
                            block(rules.newConstraint, st, `${table} (${kind} constraint${con.conname ? ` ${con.conname}` : ""})`, users((u) => u.tables.get(table)?.writes ?? false), "adds", `Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.`);
                        }
                        if ((kind === "check" || kind === "foreign") && !con.skip_validation) {
                            warn(rules.constraintValidated, st, table);
                        }
                        if ((kind === "unique" || kind === "primary") && !con.indexname) {
                            warn(rules.uniqueConstraint, st, table);
                        }
                        break;
                    }
                    default:
                        break;
                }
            }
        } else if (n.RenameStmt) {
            const r = n.RenameStmt;
            const table = r.relation ? relationName(r.relation) : "";
            if (table) {
                ddlOnExisting(st, table);
            }
            switch (r.renameType) {
                case "OBJECT_COLUMN": {
                    const object = `${table}.${r.subname}`;
                    block(rules.renameColumn, st, object, users((u) => u.tables.get(table)?.usesColumn(r.subname) ?? false), "renames", `Add the new column, write both, backfill, move readers over, and drop the old one in a later release.`);
                    break;
                }
                case "OBJECT_TABLE":
                case "OBJECT_VIEW":
                case "OBJECT_MATVIEW":
                    block(r.renameType === "OBJECT_TABLE" ? rules.renameTable : rules.renameObject, st, table, users((u) => u.tables.has(table)), "renames", `Create a view under the new name, or keep the old name until no live version uses it.`);
                    break;
                case "OBJECT_FUNCTION": {
                    const fn = qualifiedName(r.object?.ObjectWithArgs?.objname);
                    block(rules.renameObject, st, `function ${fn}`, users((u) => u.functions.has(fn)), "renames", cascade(`function ${fn}`));
                    break;
                }
                case "OBJECT_TYPE": {
                    const type = qualifiedName(r.object?.List?.items);
                    block(rules.renameObject, st, `type ${type}`, users((u) => u.types.has(type)), "renames", cascade(`type ${type}`));
                    break;
                }
                default:
                    break;
            }
        } else if (n.AlterObjectSchemaStmt && n.AlterObjectSchemaStmt.relation) {
            const table = relationName(n.AlterObjectSchemaStmt.relation);
            block(rules.renameTable, st, table, users((u) => u.tables.has(table)), "moves to another schema", cascade(table));
        } else if (n.DropStmt) {
            const d = n.DropStmt;
            ddlOnExisting(st, qualifiedName(d.objects?.[0]?.List?.items) || "objects");
            for (const obj of d.objects ?? []) {
                switch (d.removeType) {
                    case "OBJECT_TABLE":
                    case "OBJECT_VIEW":
                    case "OBJECT_MATVIEW": {
                        const name = qualifiedName(obj.List?.items);
                        const rule = d.removeType === "OBJECT_TABLE" ? rules.dropTable : rules.dropObject;
                        block(rule, st, name, users((u) => u.tables.has(name)), "drops", cascade(name));
                        break;
                    }
                    case "OBJECT_FUNCTION":
                    case "OBJECT_PROCEDURE": {
                        const fn = qualifiedName(obj.ObjectWithArgs?.objname);
                        block(rules.dropObject, st, `function ${fn}`, users((u) => u.functions.has(fn)), "drops", cascade(`function ${fn}`));
                        break;
                    }
                    case "OBJECT_TYPE":
                    case "OBJECT_DOMAIN": {
                        const type = qualifiedName(obj.TypeName?.names);
                        const cols = schema.enumColumns.get(type) ?? [];
                        block(rules.dropObject, st, `type ${type}`, users((u) => u.types.has(type) || cols.some((c) => u.tables.get(c.table)?.usesColumn(c.column))), "drops", cascade(`type ${type}`));
                        break;
                    }
                    case "OBJECT_SCHEMA": {
                        const s = obj.String?.sval as string;
                        block(rules.dropObject, st, `schema ${s}`, users((u) => [...u.tables.keys()].some((t) => t.startsWith(`${s}.`) || s === "public")), "drops", cascade(`schema ${s}`));
                        break;
                    }
                    case "OBJECT_SEQUENCE": {
                        const seq = qualifiedName(obj.List?.items);
                        block(rules.dropObject, st, `sequence ${seq}`, users(() => false), "drops", cascade(`sequence ${seq}`));
                        break;
                    }
                    case "OBJECT_INDEX":
                        if (!d.concurrent) {
                            warn(rules.dropIndexNotConcurrent, st, qualifiedName(obj.List?.items));
                        }
                        break;
                    default:
                        break;
                }
            }
        } else if (n.IndexStmt) {
            const ix = n.IndexStmt;
            const table = relationName(ix.relation);
            if (created.has(table)) {
                continue;
            }
            ddlOnExisting(st, table);
            if (ix.unique) {
                block(rules.newConstraint, st, `${table} (unique index${ix.idxname ? ` ${ix.idxname}` : ""})`, users((u) => u.tables.get(table)?.writes ?? false), "adds", `Make every live version write only unique values first.`);
            }
            if (!ix.concurrent) {
                warn(rules.indexNotConcurrent, st, table, "; use CREATE INDEX CONCURRENTLY (outside a transaction)");
            }
        } else if (n.AlterEnumStmt?.oldVal) {
            const type = qualifiedName(n.AlterEnumStmt.typeName);
            const cols = schema.enumColumns.get(type);
            const using = users((u) => (cols === undefined ? true : cols.some((c) => u.tables.get(c.table)?.usesColumn(c.column))) || u.types.has(type));
            block(rules.renameEnumValue, st, `type ${type} value '${n.AlterEnumStmt.oldVal}'`, using, "renames", `Add the new value, move every live version to it, and stop using the old label in a later release${cols === undefined ? " (pass the schema to see which columns use the type)" : ""}.`);
        } else if (n.VacuumStmt?.options?.some((o: any) => o.DefElem?.defname === "full") || n.ClusterStmt) {
            warn(rules.tableRewrite, st, n.ClusterStmt ? relationName(n.ClusterStmt.relation ?? { relname: "?" }) : "tables");
        }
    }
    return { verdict: violations.some((v) => v.severity === "block") ? "blocked" : "safe", violations };
}
