// The two migration policies: compatibility (mandatory) and locks (advisory). Both read the
// zdr:postgres:Migration resources, whose inputs carry what the check needs (the migration,
// the schema before it, and the SQL of every live version): CrossGuard sees only the new state.
import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation, validateResourceOfType } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { Migration, MigrationArgs } from "../resources/migration";
import { checkMigration, CheckInput, CheckInputError, CheckResult, Violation } from "../src/migrations/check";
import { SqlSyntaxError } from "../src/migrations/sql";

/** A Migration's inputs as the policy sees them (resolved; the resource class declares them). */
type MigrationProps = Unwrap<MigrationArgs>;

export interface MigrationPolicyConfig {
    /** Rule ids (see docs/migration-rules.md) this policy does not report. */
    readonly disabledRules: string[];
}

const configSchema = {
    properties: {
        disabledRules: { type: "array" as const, items: { type: "string" as const }, default: [] as string[] },
    },
};

/** What a blocked staged release can do when the change cannot wait for a later release. */
export const allAtOnceHint =
    "If it cannot wait, release it all at once instead (zdr:releaseMode: all-at-once): every server is drained and stopped before the migration runs and started on the release after it — the shop is down meanwhile, and a rollback is a database restore.";

/**
 * Both policies read the same check of a resource: run it once. The key is the whole input, so
 * a changed migration, schema or live set is checked afresh.
 */
const checks = new Map<string, Promise<CheckResult>>();
function checkOnce(input: CheckInput): Promise<CheckResult> {
    const key = JSON.stringify(input);
    let check = checks.get(key);
    if (!check) {
        check = checkMigration(input);
        checks.set(key, check);
        if (checks.size > 64) {
            checks.delete(checks.keys().next().value as string);
        }
    }
    return check;
}

async function violationsOf(migration: MigrationProps, args: ResourceValidationArgs, severity: Violation["severity"]): Promise<Violation[]> {
    const compatibility = migration.compatibility;
    if (!compatibility || typeof migration.sql !== "string") {
        return [];
    }
    const { disabledRules } = args.getConfig<MigrationPolicyConfig>();
    const file = `migration ${migration.script}`;
    let found: readonly Violation[];
    try {
        found = (await checkOnce({ migration: migration.sql, migrationFile: file, schema: compatibility.schema, live: compatibility.live })).violations;
    } catch (e) {
        if (!(e instanceof SqlSyntaxError || e instanceof CheckInputError)) {
            throw e;
        }
        // Input the checker cannot judge blocks: a guard that cannot read its input must not pass it.
        found = [{ rule: "bad-input", severity: "block", statement: "", object: file, message: `bad-input: the ${file} cannot be checked: ${e.message}` }];
    }
    const violations = found.filter((v) => v.severity === severity && !(disabledRules ?? []).includes(v.rule));
    return compatibility.mode === "all-at-once" || severity !== "block"
        ? violations
        : violations.map((v) => (v.rule === "bad-input" ? v : { ...v, message: `${v.message} ${allAtOnceHint}` }));
}

function report(violations: Violation[], reportViolation: ReportViolation, urn: string) {
    for (const v of violations) {
        reportViolation(v.message, urn);
    }
}

export const schemaCompatibility: ResourceValidationPolicy = {
    name: "schema-compatibility",
    description: "A migration must not break a version that is still live: the fleet's versions, the release and the rollback target.",
    enforcementLevel: "mandatory",
    configSchema,
    validateResource: validateResourceOfType(Migration, async (migration, args, reportViolation) => report(await violationsOf(migration, args, "block"), reportViolation, args.urn)),
};

export const migrationLocks: ResourceValidationPolicy = {
    name: "migration-locks",
    description: "A migration should not take locks that stall traffic or rewrite whole tables.",
    enforcementLevel: "advisory",
    configSchema,
    validateResource: validateResourceOfType(Migration, async (migration, args, reportViolation) => report(await violationsOf(migration, args, "warn"), reportViolation, args.urn)),
};
