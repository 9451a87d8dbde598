// The two migration policies: compatibility (mandatory) and locks (advisory). Both read the
// zdr:postgres:Migration resources, whose inputs carry what the check needs (the migration,
// the schema before it, and the SQL of every live version): CrossGuard sees only the new state.
// The verdict and its messages are the schema guard's (src/migrations/guard.ts), which the
// Migration resource itself also enforces: the pack shows it at preview and on pull requests.
import { ResourceValidationPolicy, ReportViolation, validateResourceOfType } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { Migration, MigrationArgs } from "../resources/migration";
import { guardViolations } from "../src/migrations/guard";
import type { Violation } from "../src/migrations/check";
import { mark } from "../src/profile";

export { allAtOnceHint } from "../src/migrations/guard";

/** A Migration's inputs as the policy sees them (resolved; the resource class declares them). */
type MigrationProps = Unwrap<MigrationArgs>;

export interface MigrationPolicyConfig {
    /**
     * Rule ids (see docs/migration-rules.md) this pack does not report. The Migration resource
     * still refuses a migration that breaks a live version (its only way past is all-at-once).
     */
    readonly disabledRules: string[];
}

const configSchema = {
    properties: {
        disabledRules: { type: "array" as const, items: { type: "string" as const }, default: [] as string[] },
    },
};

function report(violations: Violation[], reportViolation: ReportViolation, urn: string) {
    for (const v of violations) {
        reportViolation(v.message, urn);
    }
}

const policyOf = (severity: Violation["severity"]) =>
    validateResourceOfType(Migration, async (migration: MigrationProps, args, reportViolation) => {
        mark("policy", `${severity} ${args.name} start`);
        report(await guardViolations(migration, severity, args.getConfig<MigrationPolicyConfig>().disabledRules ?? []), reportViolation, args.urn);
        mark("policy", `${severity} ${args.name} end`);
    });

export const schemaCompatibility: ResourceValidationPolicy = {
    name: "schema-compatibility",
    description: "A migration must not break a version that is still live: the fleet's versions, the release and the rollback target.",
    enforcementLevel: "mandatory",
    configSchema,
    validateResource: policyOf("block"),
};

export const migrationLocks: ResourceValidationPolicy = {
    name: "migration-locks",
    description: "A migration should not take locks that stall traffic or rewrite whole tables.",
    enforcementLevel: "advisory",
    configSchema,
    validateResource: policyOf("warn"),
};
