// The zdr policy pack. This is the only file that runs `new PolicyPack`; the policies live in
// their own modules so that tests can import them.
import { PolicyPack } from "@pulumi/policy";
import { migrationLocks, schemaCompatibility } from "./migrations";

new PolicyPack("zdr", { policies: [schemaCompatibility, migrationLocks] });
