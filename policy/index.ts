// The zdr policy pack. This is the only file that runs `new PolicyPack`; the policies live in
// their own modules so that tests can import them.
import { PolicyPack } from "@pulumi/policy";
import { startOracle } from "../src/migrations/oracle";
import { migrationLocks, schemaCompatibility } from "./migrations";

// The embedded PostgreSQL starts while the engine runs the program, not at the first migration.
startOracle();

new PolicyPack("zdr", { policies: [schemaCompatibility, migrationLocks] });
