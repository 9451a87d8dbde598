// The zdr policy pack. This is the only file that runs `new PolicyPack`; the policies live in
// their own modules so that tests can import them.
import { mark, processStart } from "../src/profile";
mark("policy", "process start", processStart());
import { PolicyPack } from "@pulumi/policy";
import { migrationLocks, schemaCompatibility } from "./migrations";

new PolicyPack("zdr", { policies: [schemaCompatibility, migrationLocks] });
mark("policy", "loaded");
