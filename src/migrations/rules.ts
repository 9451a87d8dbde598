// The rule table: what the migration checker finds, how severe it is, and where the rule comes
// from. docs/migration-rules.md is this table in prose.

export type Severity = "block" | "warn";

export interface Rule {
    readonly id: string;
    readonly severity: Severity;
    /** One sentence: what breaks or what locks. */
    readonly summary: string;
    /** Where the rule comes from among the anchors (Squawk, Atlas lint, strong_migrations). */
    readonly anchor: string;
}

export const rules = {
    // Compatibility: breaks a version that is still live. Blocks unless no live version uses the object.
    dropColumn: { id: "drop-column", severity: "block", summary: "a live version that reads or writes the column fails", anchor: "Squawk ban-drop-column; Atlas DS103; strong_migrations removing a column" },
    dropTable: { id: "drop-table", severity: "block", summary: "a live version that uses the table fails", anchor: "Squawk ban-drop-table; Atlas DS102; strong_migrations" },
    dropObject: { id: "drop-object", severity: "block", summary: "a live version that uses the view, function, type, sequence or schema fails", anchor: "Atlas DS101 (schema), careful reading for views, functions, types" },
    renameColumn: { id: "rename-column", severity: "block", summary: "a live version that uses the old name fails", anchor: "Squawk renaming-column; Atlas BC102; strong_migrations renaming a column" },
    renameTable: { id: "rename-table", severity: "block", summary: "a live version that uses the old name fails", anchor: "Squawk renaming-table; Atlas BC101; strong_migrations renaming a table" },
    renameObject: { id: "rename-object", severity: "block", summary: "a live version that uses the view, function or type by its old name fails", anchor: "Atlas BC101 by analogy" },
    changeColumnType: { id: "change-column-type", severity: "block", summary: "a narrowing or incompatible type change breaks a live version's reads or writes", anchor: "Squawk changing-column-type; strong_migrations changing the type of a column; Atlas MF (data-dependent)" },
    addRequiredColumn: { id: "add-required-column", severity: "block", summary: "a NOT NULL column without a default fails the INSERTs of a live version that does not know it", anchor: "Squawk adding-required-field; Atlas MF103" },
    setNotNull: { id: "set-not-null", severity: "block", summary: "a live version that inserts without the column, or writes NULL, fails", anchor: "Squawk adding-not-nullable-field; Atlas MF104; strong_migrations setting NOT NULL" },
    dropDefault: { id: "drop-default", severity: "block", summary: "a live version that relies on the default for a NOT NULL column fails its INSERTs", anchor: "careful reading of strong_migrations and Atlas MF104" },
    newConstraint: { id: "new-constraint", severity: "block", summary: "a CHECK, UNIQUE, PRIMARY KEY, EXCLUDE or FOREIGN KEY constraint (NOT VALID too, which still checks new rows) rejects writes a live version makes", anchor: "strong_migrations adding a check constraint / foreign key; Squawk constraint-missing-not-valid (for the lock)" },
    addColumn: { id: "add-column", severity: "block", summary: "a new column breaks a live statement: an unqualified name becomes ambiguous in a join, a type without equality lands under DISTINCT, or an INSERT without a column list", anchor: "PostgreSQL (the oracle); careful reading of strong_migrations on SELECT *" },
    dropConstraint: { id: "drop-constraint", severity: "block", summary: "a live statement needs the constraint or its index, e.g. an ON CONFLICT that names its columns", anchor: "PostgreSQL (the oracle); Atlas BC (backward-incompatible changes)" },
    breaksLiveStatement: { id: "breaks-live-statement", severity: "block", summary: "PostgreSQL rejects a live version's statement after the migration (any other change: triggers, domains, TRUNCATE, ...)", anchor: "PostgreSQL (the oracle)" },
    migrationFails: { id: "migration-fails", severity: "block", summary: "PostgreSQL rejects the migration itself on the schema before it", anchor: "PostgreSQL (the oracle)" },
    renameEnumValue: { id: "rename-enum-value", severity: "block", summary: "a live version that writes or compares the old enum label fails", anchor: "careful reading: ALTER TYPE ... RENAME VALUE" },
    // Locks and rewrites: advisory.
    indexNotConcurrent: { id: "require-concurrent-index-creation", severity: "warn", summary: "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds", anchor: "Squawk require-concurrent-index-creation; strong_migrations adding an index non-concurrently" },
    dropIndexNotConcurrent: { id: "require-concurrent-index-deletion", severity: "warn", summary: "DROP INDEX without CONCURRENTLY takes an exclusive lock", anchor: "Squawk require-concurrent-index-deletion" },
    constraintValidated: { id: "constraint-missing-not-valid", severity: "warn", summary: "a validated constraint on an existing table scans it under a lock that blocks writes; add it NOT VALID and VALIDATE later", anchor: "Squawk constraint-missing-not-valid; strong_migrations" },
    volatileDefault: { id: "adding-field-with-volatile-default", severity: "warn", summary: "a volatile default rewrites the whole table under an exclusive lock", anchor: "Squawk adding-field-with-default; strong_migrations adding a column with a volatile default" },
    typeRewrite: { id: "changing-column-type", severity: "warn", summary: "a type change usually rewrites the table under an exclusive lock", anchor: "Squawk changing-column-type" },
    notNullScan: { id: "adding-not-nullable-field", severity: "warn", summary: "SET NOT NULL scans the table under an exclusive lock; add a NOT VALID CHECK (col IS NOT NULL) and validate it first", anchor: "Squawk adding-not-nullable-field" },
    uniqueConstraint: { id: "disallowed-unique-constraint", severity: "warn", summary: "ADD UNIQUE builds its index under a lock; create a unique index CONCURRENTLY and add the constraint USING INDEX", anchor: "Squawk disallowed-unique-constraint" },
    noLockTimeout: { id: "require-timeout-settings", severity: "warn", summary: "DDL without a lock_timeout can queue behind a long transaction and block every query behind it", anchor: "Squawk require-timeout-settings; strong_migrations lock timeout" },
    serialColumn: { id: "adding-serial-field", severity: "warn", summary: "adding a serial or identity column rewrites the table", anchor: "Squawk adding-serial-primary-key-field" },
    unverifiedStatement: { id: "unverified-statement", severity: "warn", summary: "PostgreSQL rejects a live statement before and after the migration, so only the static rules judge it", anchor: "PostgreSQL (the oracle)" },
    oracleUnavailable: { id: "oracle-unavailable", severity: "warn", summary: "the schema does not build in the embedded PostgreSQL (PGlite), so only the static rules judge the migration", anchor: "PostgreSQL (the oracle)" },
    tableRewrite: { id: "full-table-rewrite", severity: "warn", summary: "VACUUM FULL and CLUSTER rewrite the table under an exclusive lock", anchor: "strong_migrations (operational)" },
} as const satisfies Record<string, Rule>;

export type RuleKey = keyof typeof rules;
