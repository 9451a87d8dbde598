// The migration checker: which statements of a migration break a version that is still live,
// and which take locks or rewrite tables. A destructive change passes exactly when no live
// version (the fleet's, the release, the rollback target) uses the object; a version whose
// usage is unknown counts as using everything.
import { describeChange } from "./changes";
import { hasParameters, OracleResult, probeStatements, runOracle } from "./oracle";
import type { TypeName } from "@pgsql/types";
import { loadParser, parseSql, PgNode, qualifiedName, relationName, Statement, View } from "./sql";
import { extractUsage, Usage } from "./usage";
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
    /** The embedded PostgreSQL failed (it did not load, or crashed): a later check may judge more. */
    readonly oracleFailed?: true;
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
        // Later migrations in the schema history: columns added, dropped and renamed.
        const alter = st.node.AlterTableStmt;
        if (alter) {
            const table = relationName(alter.relation);
            for (const c of alter.cmds ?? []) {
                const cmd = c.AlterTableCmd;
                const def = cmd?.def?.ColumnDef;
                if (cmd?.subtype === "AT_AddColumn" && def?.colname) {
                    info.columns.set(table, (info.columns.get(table) ?? new Set()).add(def.colname));
                    info.types.set(table, (info.types.get(table) ?? new Map()).set(def.colname, typeText(def.typeName)));
                    if ((def.constraints ?? []).some((x) => x.Constraint?.contype === "CONSTR_NOTNULL")) {
                        info.notNull.set(table, (info.notNull.get(table) ?? new Set()).add(def.colname));
                    }
                } else if (cmd?.subtype === "AT_DropColumn" && cmd.name) {
                    info.columns.get(table)?.delete(cmd.name);
                }
            }
        }
        const renamed = st.node.RenameStmt;
        if (renamed?.renameType === "OBJECT_COLUMN" && renamed.relation && renamed.subname && renamed.newname) {
            const cols = info.columns.get(relationName(renamed.relation));
            if (cols?.delete(renamed.subname)) {
                cols.add(renamed.newname);
            }
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
            if (!def?.colname) {
                continue;
            }
            cols.add(def.colname);
            const contypes = (def.constraints ?? []).map((c) => c.Constraint?.contype);
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
    [/^timestamp(\(\d+\))?$/, /^timestamptz$/],
    [/^numeric\(\d+(,\d+)?\)$/, /^numeric$/],
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
    // numeric(p,s) -> numeric(p2,s): as many digits after the point, at least as many before it
    const num = (t: string) => /^numeric\((\d+)(?:,(\d+))?\)$/.exec(t);
    const [a, b] = [num(from), num(to)];
    if (a && b && Number(b[2] ?? 0) === Number(a[2] ?? 0) && Number(b[1]) >= Number(a[1])) {
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
    const n = node as PgNode;
    if (n.FuncCall && volatileFunctions.has(qualifiedName(n.FuncCall.funcname))) {
        return true;
    }
    return Object.values(n).some(containsVolatileCall);
}

function typeText(typeName: View<TypeName> | undefined): string {
    const name = qualifiedName(typeName?.names);
    const mods = (typeName?.typmods ?? []).map((m) => m.A_Const?.ival?.ival ?? "").join(",");
    return mods ? `${name}(${mods})` : name;
}

/** A statement of a live version as the static rules see it, with why they look at it. */
interface StaticStatement {
    readonly text: string;
    readonly usage: Usage;
    /** Said in a block message: why PostgreSQL could not judge it itself. */
    readonly note?: string;
}

/** A live version as the static rules see it. */
export interface StaticVersion {
    readonly version: string;
    readonly role: LiveVersion["role"];
    /** Its SQL is unknown: it counts as using everything. */
    readonly unknown: boolean;
    /** What the name rules (drops, renames) look at. */
    readonly names: readonly StaticStatement[];
    /** What the data rules (NOT NULL, defaults, constraints, type changes, enum labels) look at. */
    readonly data: readonly StaticStatement[];
}

/** Rules whose answer depends on the values a version writes, which the oracle runs only when they are literals. */
export const dataRules: ReadonlySet<string> = new Set([rules.changeColumnType, rules.addRequiredColumn, rules.setNotNull, rules.dropDefault, rules.newConstraint, rules.renameEnumValue].map((r) => r.id));

/** The static rules: every lock warning, and the compatibility blocks on what each version's `names` and `data` hold. */
export function staticCheck(statements: readonly Statement[], schemaStatements: readonly Statement[] | undefined, live: readonly StaticVersion[]): Violation[] {
    const schema = schemaInfo(schemaStatements);
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

    const liveList = live.map((v) => `${v.version} (${v.role})`).join(", ") || "none";

    /** Blocks when a live version uses the object (`uses` on a statement's usage; unknown usage counts as using). */
    const block = (rule: Rule, st: Statement, object: string, uses: (u: Usage) => boolean, how: string, later: string) => {
        const kind = dataRules.has(rule.id) ? "data" : "names";
        const hits = live
            .map((v) => ({ v, statements: v.unknown ? [] : v[kind].filter((s) => uses(s.usage)) }))
            .filter((h) => h.v.unknown || h.statements.length > 0);
        if (hits.length === 0) {
            return;
        }
        const using = hits.map((h) => h.v.version);
        const unknown = hits.filter((h) => h.v.unknown).map((h) => h.v.version);
        const why = unknown.length > 0 ? ` (usage of ${unknown.join(", ")} is unknown, so it counts as using everything)` : "";
        const notes = hits.flatMap((h) => h.statements.filter((s) => s.note).map((s) => ` ${h.v.version}'s \`${s.text}\` ${s.note}.`)).join("");
        violations.push({
            rule: rule.id,
            severity: "block",
            statement: st.text,
            object,
            versions: using,
            message: `${rule.id}: \`${st.text}\` ${how} ${object}, which ${using.join(", ")} still ${using.length > 1 ? "use" : "uses"}${why}; live versions: ${liveList}.${notes} ${later}`,
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
                if (!cmd) {
                    continue;
                }
                const col = cmd.name ?? "";
                const object = `${table}.${col}`;
                switch (cmd.subtype) {
                    case "AT_DropColumn":
                        block(rules.dropColumn, st, object, (u) => u.tables.get(table)?.usesColumn(col) ?? false, "drops", cascade(object));
                        break;
                    case "AT_AlterColumnType": {
                        // Without the old type (no schema) a widening cannot be told from a narrowing.
                        const to = typeText(cmd.def?.ColumnDef?.typeName);
                        const widens = isWidening(schema.types.get(table)?.get(col), to) && !cmd.def?.ColumnDef?.raw_default;
                        if (!widens) {
                            block(rules.changeColumnType, st, object, (u) => u.tables.get(table)?.usesColumn(col) ?? false, "changes the type of", `Add a new column of the new type, write both from a release, backfill, and switch readers over in later releases.`);
                        }
                        warn(rules.typeRewrite, st, object);
                        break;
                    }
                    case "AT_AddColumn": {
                        const def = cmd.def?.ColumnDef;
                        if (!def?.colname) {
                            break;
                        }
                        const name = def.colname;
                        const cons = (def.constraints ?? []).map((x) => x.Constraint).filter((x) => x !== undefined);
                        const has = (t: string) => cons.some((x) => x.contype === t);
                        const isSerial = serialTypes.has(qualifiedName(def.typeName?.names));
                        if (has("CONSTR_NOTNULL") || has("CONSTR_PRIMARY")) {
                            notNull(table).add(name);
                        }
                        if (has("CONSTR_NOTNULL") && !has("CONSTR_DEFAULT") && !has("CONSTR_IDENTITY") && !has("CONSTR_GENERATED") && !isSerial) {
                            block(rules.addRequiredColumn, st, `${table}.${name}`, (u) => u.tables.get(table)?.inserts ?? false, "adds the NOT NULL column without a default", `Add it with a DEFAULT (or nullable), and make it required in a later release once every live version writes it.`);
                        }
                        const def0 = cons.find((x) => x.contype === "CONSTR_DEFAULT");
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
                        block(rules.setNotNull, st, object, (u) => {
                            const t = u.tables.get(table);
                            return t !== undefined && (t.insertOmits(col) || t.updates.has(col));
                        }, "makes NOT NULL", `Make it required in a later release, once every live version writes ${object} on every INSERT and never writes NULL.`);
                        warn(rules.notNullScan, st, object);
                        break;
                    case "AT_ColumnDefault":
                        if (!cmd.def && !(schema.known && !notNull(table).has(col))) {
                            block(rules.dropDefault, st, object, (u) => u.tables.get(table)?.insertOmits(col) ?? false, "drops the default of", `Drop it in a later release, once every live version writes ${object} on INSERT.`);
                        }
                        break;
                    case "AT_AddConstraint": {
                        const con = cmd.def?.Constraint;
                        if (!con) {
                            break;
                        }
                        const kind = String(con.contype).replace("CONSTR_", "").toLowerCase();
                        if (["check", "unique", "primary", "foreign", "exclusion"].includes(kind)) {
                            block(rules.newConstraint, st, `${table} (${kind} constraint${con.conname ? ` ${con.conname}` : ""})`, (u) => u.tables.get(table)?.writes ?? false, "adds", `Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.`);
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
                    block(rules.renameColumn, st, object, (u) => u.tables.get(table)?.usesColumn(r.subname ?? "") ?? false, "renames", `Add the new column, write both, backfill, move readers over, and drop the old one in a later release.`);
                    break;
                }
                case "OBJECT_TABLE":
                case "OBJECT_VIEW":
                case "OBJECT_MATVIEW":
                    block(r.renameType === "OBJECT_TABLE" ? rules.renameTable : rules.renameObject, st, table, (u) => u.tables.has(table), "renames", `Create a view under the new name, or keep the old name until no live version uses it.`);
                    break;
                case "OBJECT_FUNCTION": {
                    const fn = qualifiedName(r.object?.ObjectWithArgs?.objname);
                    block(rules.renameObject, st, `function ${fn}`, (u) => u.functions.has(fn), "renames", cascade(`function ${fn}`));
                    break;
                }
                case "OBJECT_TYPE": {
                    const type = qualifiedName(r.object?.List?.items);
                    block(rules.renameObject, st, `type ${type}`, (u) => u.types.has(type), "renames", cascade(`type ${type}`));
                    break;
                }
                default:
                    break;
            }
        } else if (n.AlterObjectSchemaStmt && n.AlterObjectSchemaStmt.relation) {
            const table = relationName(n.AlterObjectSchemaStmt.relation);
            block(rules.renameTable, st, table, (u) => u.tables.has(table), "moves to another schema", cascade(table));
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
                        block(rule, st, name, (u) => u.tables.has(name), "drops", cascade(name));
                        break;
                    }
                    case "OBJECT_FUNCTION":
                    case "OBJECT_PROCEDURE": {
                        const fn = qualifiedName(obj.ObjectWithArgs?.objname);
                        block(rules.dropObject, st, `function ${fn}`, (u) => u.functions.has(fn), "drops", cascade(`function ${fn}`));
                        break;
                    }
                    case "OBJECT_TYPE":
                    case "OBJECT_DOMAIN": {
                        const type = qualifiedName(obj.TypeName?.names);
                        const cols = schema.enumColumns.get(type) ?? [];
                        block(rules.dropObject, st, `type ${type}`, (u) => u.types.has(type) || cols.some((c) => u.tables.get(c.table)?.usesColumn(c.column)), "drops", cascade(`type ${type}`));
                        break;
                    }
                    case "OBJECT_SCHEMA": {
                        const s = obj.String?.sval as string;
                        block(rules.dropObject, st, `schema ${s}`, (u) => [...u.tables.keys()].some((t) => t.startsWith(`${s}.`) || s === "public") || u.schemas.has(s), "drops", cascade(`schema ${s}`));
                        break;
                    }
                    case "OBJECT_SEQUENCE": {
                        const seq = qualifiedName(obj.List?.items);
                        block(rules.dropObject, st, `sequence ${seq}`, () => false, "drops", cascade(`sequence ${seq}`));
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
                block(rules.newConstraint, st, `${table} (unique index${ix.idxname ? ` ${ix.idxname}` : ""})`, (u) => u.tables.get(table)?.writes ?? false, "adds", `Make every live version write only unique values first.`);
            }
            if (!ix.concurrent) {
                warn(rules.indexNotConcurrent, st, table, "; use CREATE INDEX CONCURRENTLY (outside a transaction)");
            }
        } else if (n.AlterEnumStmt?.oldVal) {
            const type = qualifiedName(n.AlterEnumStmt.typeName);
            const cols = schema.enumColumns.get(type);
            const using = (u: Usage) => (cols === undefined ? true : cols.some((c) => u.tables.get(c.table)?.usesColumn(c.column))) || u.types.has(type);
            block(rules.renameEnumValue, st, `type ${type} value '${n.AlterEnumStmt.oldVal}'`, using, "renames", `Add the new value, move every live version to it, and stop using the old label in a later release${cols === undefined ? " (pass the schema to see which columns use the type)" : ""}.`);
        } else if (n.VacuumStmt?.options?.some((o) => o.DefElem?.defname === "full") || n.ClusterStmt) {
            warn(rules.tableRewrite, st, n.ClusterStmt ? relationName(n.ClusterStmt.relation ?? { relname: "?" }) : "tables");
        }
    }
    return violations;
}

/** Input the checker cannot judge, e.g. a live version whose query file holds no statement. */
export class CheckInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CheckInputError";
    }
}

const writes = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

/**
 * A write whose values PostgreSQL was not given: one with $n parameters, or a PREPAREd one that
 * no statement of its version EXECUTEs (an EXECUTE with literal values is run by the oracle).
 */
function valuesUnknown(st: Statement, executed: ReadonlySet<string>): boolean {
    const prepared = st.node.PrepareStmt;
    const write = prepared?.query ?? st.node;
    return writes.has(Object.keys(write)[0]) && hasParameters(write) && (prepared === undefined || !executed.has(prepared.name ?? ""));
}

/** The oracle's breaks as block violations, one per migration statement and object. */
function oracleBlocks(oracle: OracleResult, migration: readonly Statement[], live: readonly LiveVersion[]): Violation[] {
    const liveList = live.map((v) => `${v.version} (${v.role})`).join(", ") || "none";
    const groups = new Map<string, { cause?: Statement; change?: ReturnType<typeof describeChange>; breaks: OracleResult["breaks"][number][] }>();
    for (const b of oracle.breaks) {
        const cause = b.cause === undefined ? undefined : migration[b.cause];
        const change = cause ? describeChange(cause, b.error) : undefined;
        const key = `${b.cause ?? -1}|${change?.rule.id}|${change?.object}`;
        const group = groups.get(key) ?? { cause, change, breaks: [] };
        group.breaks.push(b);
        groups.set(key, group);
    }
    return [...groups.values()].map(({ cause, change, breaks }) => {
        const versions = [...new Set(breaks.map((b) => b.probe.version))];
        const evidence = breaks
            .map((b) => `PostgreSQL rejects ${b.probe.version}'s \`${b.probe.text}\` after it${b.phase === "run" ? " (run on the schema's rows)" : ""}: ${b.error.message}${b.error.detail ? ` (${b.error.detail})` : ""}.`)
            .join(" ");
        const uses = `${versions.join(", ")} still ${versions.length > 1 ? "use" : "uses"}; live versions: ${liveList}.`;
        if (!cause || !change) {
            const object = [breaks[0].error.table, breaks[0].error.column].filter(Boolean).join(".") || "the schema";
            return {
                rule: rules.breaksLiveStatement.id,
                severity: "block" as const,
                statement: "(the migration)",
                object,
                versions,
                message: `${rules.breaksLiveStatement.id}: the migration breaks statements that ${uses} ${evidence} Ship the change in a later release, once no live or rollback version runs them.`,
            };
        }
        return {
            rule: change.rule.id,
            severity: "block" as const,
            statement: cause.text,
            object: change.object,
            versions,
            message: `${change.rule.id}: \`${cause.text}\` ${change.how} ${change.object}, which ${uses} ${evidence} ${change.advice}`,
        };
    });
}

/**
 * The check behind `zdr check-migration` and the CrossGuard pack. With a schema, PostgreSQL
 * itself (the oracle, src/migrations/oracle.ts) judges every live statement it can: it builds
 * the schema, applies the migration, prepares each statement and runs those with literal
 * values. The static rules add the lock and rewrite warnings, the data-dependent blocks for
 * writes whose values are parameters, and the name-based blocks for versions whose SQL is
 * unknown and for statements PostgreSQL cannot judge. Without a schema the static rules judge
 * everything.
 */
export async function checkMigration(input: CheckInput): Promise<CheckResult> {
    await loadParser();
    const migration = parseSql(input.migration, input.migrationFile ?? "migration");
    const schemaStatements = input.schema === undefined ? undefined : parseSql(input.schema, "schema");
    const resolvable = schemaStatements ? schemaInfo(schemaStatements).columns : undefined;
    const versions = input.live.map((v) => {
        const statements = v.sql === undefined ? undefined : parseSql(v.sql, `queries of ${v.version}`);
        if (statements !== undefined && statements.length === 0) {
            throw new CheckInputError(`the queries of ${v.version} hold no SQL statement: an empty or comment-only file does not mean "uses nothing"; give the statements the version runs, or leave its queries out to count it as using everything`);
        }
        const probes = probeStatements(v.version, statements ?? []);
        return { ...v, statements, probes };
    });
    let oracle: OracleResult | undefined;
    let oracleFailure: string | undefined;
    if (schemaStatements) {
        try {
            oracle = await runOracle(schemaStatements, migration, versions.flatMap((v) => v.probes));
        } catch (e) {
            // PGlite itself failed (it did not load, or crashed): the static rules still judge.
            oracleFailure = (e as Error).message;
        }
    }
    const judged = oracle !== undefined && !oracle.schemaError && !oracle.migrationError ? oracle : undefined;
    const unverified = new Map((judged?.unverified ?? []).map((u) => [u.probe, u.error]));

    const staticVersions: StaticVersion[] = versions.map((v) => {
        if (v.statements === undefined) {
            return { version: v.version, role: v.role, unknown: true, names: [], data: [] };
        }
        const all = v.statements.map((st, i) => ({ st, probe: v.probes[i], usage: extractUsage([st], resolvable) }));
        if (!judged) {
            const seen = all.map((s) => ({ text: s.st.text, usage: s.usage }));
            return { version: v.version, role: v.role, unknown: false, names: seen, data: seen };
        }
        const byName = all.filter((s) => unverified.has(s.probe)).map((s) => ({ text: s.st.text, usage: s.usage, note: `is judged by name only: PostgreSQL rejects it before and after the migration (${unverified.get(s.probe)?.message})` }));
        const executed = new Set(v.statements.flatMap((st) => st.node.ExecuteStmt?.name ?? []));
        const byValue = all
            .filter((s) => !unverified.has(s.probe) && valuesUnknown(s.st, executed))
            .map((s) => ({ text: s.st.text, usage: s.usage, note: "may fail, depending on the values it is given (they are parameters, which PostgreSQL cannot try on the schema's rows)" }));
        return { version: v.version, role: v.role, unknown: false, names: byName, data: [...byName, ...byValue] };
    });

    const violations: Violation[] = [];
    if (oracle?.schemaError) {
        const st = schemaStatements?.[oracle.schemaError.index];
        violations.push({ rule: rules.oracleUnavailable.id, severity: "warn", statement: st?.text ?? "(the schema)", object: "the schema", message: `${rules.oracleUnavailable.id}: the schema does not build in the embedded PostgreSQL at \`${st?.text ?? "(the schema)"}\`: ${oracle.schemaError.error.message}; only the static rules judged this migration` });
    }
    if (oracleFailure !== undefined) {
        violations.push({ rule: rules.oracleUnavailable.id, severity: "warn", statement: "(the schema)", object: "the schema", message: `${rules.oracleUnavailable.id}: the embedded PostgreSQL failed: ${oracleFailure}; only the static rules judged this migration` });
    }
    if (oracle?.migrationError) {
        const st = migration[oracle.migrationError.index];
        violations.push({ rule: rules.migrationFails.id, severity: "block", statement: st?.text ?? "(the migration)", object: "the migration", message: `${rules.migrationFails.id}: \`${st?.text ?? "(the migration)"}\` fails on PostgreSQL on the schema before the migration: ${oracle.migrationError.error.message}. Fix the migration; the live versions were judged by the static rules only.` });
    }
    if (judged) {
        violations.push(...oracleBlocks(judged, migration, input.live));
        for (const [probe, error] of unverified) {
            violations.push({ rule: rules.unverifiedStatement.id, severity: "warn", statement: probe.text, object: probe.version, message: `${rules.unverifiedStatement.id}: ${probe.version}'s \`${probe.text}\` fails on the schema before and after the migration (${error.message}), so only the static rules judge it; check the schema holds every earlier migration and the version's SQL is right` });
        }
    }
    violations.push(...staticCheck(migration, schemaStatements, staticVersions));
    return { verdict: violations.some((v) => v.severity === "block") ? "blocked" : "safe", violations, ...(oracleFailure === undefined ? {} : { oracleFailed: true as const }) };
}
