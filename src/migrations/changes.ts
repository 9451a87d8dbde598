// What a migration statement does, in the words of a block message: the rule it falls under,
// the verb, the object and what to do instead. The oracle finds *that* a live statement breaks
// and after which migration statement; this names the change.
import type { AlterTableCmd, AlterTableStmt, DropStmt, RenameStmt } from "@pgsql/types";
import { qualifiedName, relationName, Statement, View } from "./sql";
import { PgError } from "./oracle";
import { Rule, rules } from "./rules";

export interface Change {
    readonly rule: Rule;
    /** "drops", "renames", ... */
    readonly how: string;
    readonly object: string;
    /** What to do instead. */
    readonly advice: string;
}

export const cascadeAdvice = (object: string) =>
    `Ship it in a later release, once no live or rollback version uses ${object}: first release a version that stops using it, promote that version to stable, then release this change.`;

const renameColumnAdvice = "Add the new column, write both, backfill, move readers over, and drop the old one in a later release (or keep the old name readable meanwhile: a view or a generated column under it).";
const constraintAdvice = "Make every live version write only rows that satisfy it first; then add it NOT VALID in a later release and VALIDATE it after.";

/** The names PostgreSQL's message quotes, e.g. column "channel" does not exist -> channel. */
function quoted(error: PgError | undefined): string[] {
    return [...(error?.message ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1].split(".").pop() as string);
}

function alterTable(at: View<AlterTableStmt>, error: PgError | undefined): Change {
    const table = relationName(at.relation);
    const cmds = (at.cmds ?? []).map((c) => c.AlterTableCmd).filter((c) => c !== undefined);
    const named = (c: View<AlterTableCmd>) => c.name ?? c.def?.ColumnDef?.colname ?? c.def?.Constraint?.conname;
    const hints = [error?.column, error?.constraint, ...quoted(error)].filter((x): x is string => x !== undefined);
    const cmd: View<AlterTableCmd> = cmds.find((c) => hints.includes(named(c) ?? "")) ?? cmds[0] ?? {};
    const col = named(cmd);
    const object = col ? `${table}.${col}` : table;
    switch (cmd.subtype) {
        case "AT_DropColumn":
            return { rule: rules.dropColumn, how: "drops", object, advice: cascadeAdvice(object) };
        case "AT_AlterColumnType":
            return { rule: rules.changeColumnType, how: "changes the type of", object, advice: "Add a new column of the new type, write both from a release, backfill, and switch readers over in later releases." };
        case "AT_AddColumn": {
            const cons = (cmd.def?.ColumnDef?.constraints ?? []).map((x) => x.Constraint?.contype);
            return cons.includes("CONSTR_NOTNULL")
                ? { rule: rules.addRequiredColumn, how: "adds the NOT NULL column", object, advice: "Add it with a DEFAULT (or nullable), and make it required in a later release once every live version writes it." }
                : { rule: rules.addColumn, how: "adds", object, advice: "First release a version whose statements qualify their column names and list their INSERT columns, or give the new column a name and type no live statement can trip over." };
        }
        case "AT_SetNotNull":
            return { rule: rules.setNotNull, how: "makes NOT NULL", object, advice: `Make it required in a later release, once every live version writes ${object} on every INSERT and never writes NULL.` };
        case "AT_ColumnDefault":
            return { rule: rules.dropDefault, how: cmd.def ? "changes the default of" : "drops the default of", object, advice: `Drop it in a later release, once every live version writes ${object} on INSERT.` };
        case "AT_AddConstraint": {
            const con = cmd.def?.Constraint ?? {};
            const kind = String(con.contype ?? "").replace("CONSTR_", "").toLowerCase();
            return { rule: rules.newConstraint, how: "adds", object: `${table} (${kind} constraint${con.conname ? ` ${con.conname}` : ""})`, advice: constraintAdvice };
        }
        case "AT_ValidateConstraint":
            return { rule: rules.newConstraint, how: "validates", object: `${table} (constraint ${col})`, advice: constraintAdvice };
        case "AT_DropConstraint":
            return { rule: rules.dropConstraint, how: "drops", object: `${table} (constraint ${col})`, advice: cascadeAdvice(`constraint ${col}`) };
        case "AT_DetachPartition": {
            const partition = relationName(cmd.def?.PartitionCmd?.name);
            return { rule: rules.breaksLiveStatement, how: "detaches", object: `${table} (partition ${partition})`, advice: `Detach it in a later release, once no live version writes or reads rows of ${partition} through ${table}.` };
        }
        default:
            return { rule: rules.breaksLiveStatement, how: "changes", object, advice: cascadeAdvice(object) };
    }
}

function rename(r: View<RenameStmt>): Change {
    const table = r.relation ? relationName(r.relation) : "";
    switch (r.renameType) {
        case "OBJECT_COLUMN":
            return { rule: rules.renameColumn, how: "renames", object: `${table}.${r.subname}`, advice: renameColumnAdvice };
        case "OBJECT_TABLE":
            return { rule: rules.renameTable, how: "renames", object: table, advice: "Keep the old name working (an updatable view under it) until no live version uses it, or rename in a later release." };
        case "OBJECT_VIEW":
        case "OBJECT_MATVIEW":
            return { rule: rules.renameObject, how: "renames", object: table, advice: cascadeAdvice(table) };
        case "OBJECT_TABCONSTRAINT":
            return { rule: rules.renameObject, how: "renames", object: `${table} (constraint ${r.subname})`, advice: cascadeAdvice(`constraint ${r.subname}`) };
        case "OBJECT_SCHEMA":
            return { rule: rules.renameObject, how: "renames", object: `schema ${r.subname}`, advice: cascadeAdvice(`schema ${r.subname}`) };
        case "OBJECT_FUNCTION":
        case "OBJECT_PROCEDURE":
            return { rule: rules.renameObject, how: "renames", object: `function ${qualifiedName(r.object?.ObjectWithArgs?.objname)}`, advice: cascadeAdvice("the function") };
        default: {
            const name = qualifiedName(r.object?.List?.items) || r.subname || table || "an object";
            return { rule: rules.renameObject, how: "renames", object: name, advice: cascadeAdvice(name) };
        }
    }
}

function drop(d: View<DropStmt>): Change {
    const obj = d.objects?.[0];
    const name = qualifiedName(obj?.List?.items) || qualifiedName(obj?.ObjectWithArgs?.objname) || qualifiedName(obj?.TypeName?.names) || obj?.String?.sval || "an object";
    const how = d.behavior === "DROP_CASCADE" ? "drops (with CASCADE)" : "drops";
    const kind = String(d.removeType).replace("OBJECT_", "").toLowerCase();
    const object = d.removeType === "OBJECT_TABLE" ? name : `${kind} ${name}`;
    return { rule: d.removeType === "OBJECT_TABLE" ? rules.dropTable : rules.dropObject, how, object, advice: cascadeAdvice(object) };
}

/** What `st` does to the schema, named for a block message; `error` picks the command of a multi-command ALTER TABLE. */
export function describeChange(st: Statement, error?: PgError): Change {
    const n = st.node;
    if (n.AlterTableStmt) {
        return alterTable(n.AlterTableStmt, error);
    }
    if (n.RenameStmt) {
        return rename(n.RenameStmt);
    }
    if (n.DropStmt) {
        return drop(n.DropStmt);
    }
    if (n.AlterObjectSchemaStmt) {
        const a = n.AlterObjectSchemaStmt;
        const object = a.relation ? relationName(a.relation) : qualifiedName(a.object?.List?.items) || "an object";
        return { rule: rules.renameTable, how: "moves to another schema", object, advice: cascadeAdvice(object) };
    }
    if (n.IndexStmt?.unique) {
        const ix = n.IndexStmt;
        return { rule: rules.newConstraint, how: "adds", object: `${relationName(ix.relation)} (unique index${ix.idxname ? ` ${ix.idxname}` : ""})`, advice: "Make every live version write only unique values first." };
    }
    if (n.AlterEnumStmt?.oldVal) {
        const type = qualifiedName(n.AlterEnumStmt.typeName);
        return { rule: rules.renameEnumValue, how: "renames", object: `type ${type} value '${n.AlterEnumStmt.oldVal}'`, advice: "Add the new value, move every live version to it, and stop using the old label in a later release." };
    }
    if (n.AlterDomainStmt) {
        const domain = qualifiedName(n.AlterDomainStmt.typeName);
        return { rule: rules.newConstraint, how: "changes", object: `domain ${domain}`, advice: constraintAdvice };
    }
    if (n.TruncateStmt) {
        const tables = (n.TruncateStmt.relations ?? []).map((r) => relationName(r.RangeVar)).join(", ");
        return { rule: rules.breaksLiveStatement, how: n.TruncateStmt.behavior === "DROP_CASCADE" ? "empties (with CASCADE)" : "empties", object: tables, advice: "Empty only tables no live version's writes depend on, without CASCADE." };
    }
    if (n.GrantStmt && !n.GrantStmt.is_grant) {
        const g = n.GrantStmt;
        const objects = (g.objects ?? []).map((o) => (o.RangeVar ? relationName(o.RangeVar) : qualifiedName(o.List?.items) || qualifiedName(o.ObjectWithArgs?.objname) || o.String?.sval)).join(", ");
        const roles = (g.grantees ?? []).map((r) => r.RoleSpec?.rolename ?? "PUBLIC").join(", ");
        return { rule: rules.breaksLiveStatement, how: `revokes ${roles}'s privileges on`, object: objects || "objects", advice: `Revoke them in a later release, once no live version runs as ${roles}.` };
    }
    if (n.CreateTrigStmt) {
        const t = n.CreateTrigStmt;
        return { rule: rules.breaksLiveStatement, how: "adds a trigger to", object: `${relationName(t.relation)} (trigger ${t.trigname})`, advice: "Make the trigger accept every write a live version makes, or add it in a later release." };
    }
    const object = [error?.table, error?.column].filter(Boolean).join(".") || "the schema";
    return { rule: rules.breaksLiveStatement, how: "changes", object, advice: cascadeAdvice(object) };
}
