// The schema guard's verdict on one zdr:postgres:Migration, as both of its gates give it: the
// Migration resource itself (provider/postgres/migration.ts), which refuses to apply a breaking
// migration whatever CLI or pack runs it, and the CrossGuard pack (policy/migrations.ts), which
// shows the same verdict on previews and pull requests. One definition, so both say the same.
import type { CheckInput, CheckResult, LiveVersion, Violation } from "./check";
import { cachedCheck } from "./verdict-cache";

/** What a Migration carries for the guard: the schema before it and what is live while it applies. */
export interface Compatibility {
    /** The schema before this migration: every earlier file, in order. @default - unknown (the static rules judge alone) */
    readonly schema?: string;
    /** Every version live while it applies (sql undefined: unknown, it counts as using everything). */
    readonly live: readonly LiveVersion[];
    /** "all-at-once": no old version runs while it applies (the live set is the release alone). @default "staged" */
    readonly mode?: "staged" | "all-at-once";
    /**
     * Set by the Migration resource's check, never by the program: the stack's state records this
     * file (same version and checksum) as applied, so nothing of it runs again and neither gate
     * judges it. A migration applied while it was compatible must not block a later stage whose
     * live set it would no longer suit: the check is about what happens when it applies.
     */
    readonly applied?: boolean;
}

/** A Migration's inputs as the guard reads them. */
export interface GuardedMigration {
    readonly script: string;
    readonly sql: string;
    /** @default - not checked (a resource created without compatibility data) */
    readonly compatibility?: Compatibility;
}

/** What a blocked staged release can do when the change cannot wait for a later release. */
export const allAtOnceHint =
    "If it cannot wait, release it all at once instead (zdr:releaseMode: all-at-once): every server is drained and stopped before the migration runs and started on the release after it — the shop is down meanwhile, and a rollback is a database restore.";

/** Does the guard judge this migration? Not without compatibility data, and not once applied. */
export function judged(m: Partial<GuardedMigration>): m is GuardedMigration & { compatibility: Compatibility } {
    return m.compatibility !== undefined && m.compatibility !== null && !m.compatibility.applied && typeof m.sql === "string";
}

/**
 * The violations of `severity` the guard finds in `m`, each with the message both gates show:
 * a staged release's blocks end with the all-at-once hint; input the checker cannot read (a
 * syntax error, an empty query file) blocks, since a guard that cannot read its input must not
 * pass it. `disabledRules` (rule ids) are left out.
 */
export async function guardViolations(m: Partial<GuardedMigration>, severity: Violation["severity"], disabledRules: readonly string[] = []): Promise<Violation[]> {
    if (!judged(m)) {
        return [];
    }
    const { schema, live, mode } = m.compatibility;
    const file = `migration ${m.script}`;
    // loaded here, not with this module: a stage whose migrations are all applied never loads the checker
    const { CheckInputError } = await import("./check");
    const { SqlSyntaxError } = await import("./sql");
    let found: readonly Violation[];
    try {
        found = (await checkOnce({ migration: m.sql, migrationFile: file, ...(schema === undefined ? {} : { schema }), live })).violations;
    } catch (e) {
        if (!(e instanceof SqlSyntaxError || e instanceof CheckInputError)) {
            throw e;
        }
        found = [{ rule: "bad-input", severity: "block", statement: "", object: file, message: `bad-input: the ${file} cannot be checked: ${e.message}` }];
    }
    const violations = found.filter((v) => v.severity === severity && !disabledRules.includes(v.rule));
    return mode === "all-at-once" || severity !== "block"
        ? violations
        : violations.map((v) => (v.rule === "bad-input" ? v : { ...v, message: `${v.message} ${allAtOnceHint}` }));
}

/**
 * A process asks about the same migration more than once (the pack's two policies, the
 * provider's check at preview and again at up): one check per input, whose result every asker
 * shares. The key is the whole input, so a changed migration, schema or live set is checked afresh.
 */
const checks = new Map<string, Promise<CheckResult>>();
function checkOnce(input: CheckInput): Promise<CheckResult> {
    const key = JSON.stringify(input);
    let check = checks.get(key);
    if (!check) {
        check = cachedCheck(input);
        checks.set(key, check);
        check.catch(() => checks.delete(key));
        if (checks.size > 64) {
            checks.delete(checks.keys().next().value as string);
        }
    }
    return check;
}
