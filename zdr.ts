// zdr as a library: what a team's own Pulumi program imports (`import * as zdr from "zdr"`).
// examples/own-app is such a program: one Release, typed settings in, the fleet's state out. The
// parts below it are exported for programs that assemble a release themselves. The policies are
// under "zdr/policy".
export { Release } from "./components/release";
export type { ReleaseArgs } from "./components/release";
export type { ReleaseApp, ReleaseCanary, ReleaseMigrations, ReleaseSettings, ReleaseTarget } from "./src/release/release-args";
export { planJudgements, planLiveVersions, planMigrationChain } from "./src/release/release-plan";
export type { JudgementPlan, MigrationStep } from "./src/release/release-plan";
export { Fleet } from "./components/fleet";
export type { CanaryJudge, Environment, FleetArgs, FleetTarget, Judged, Membership, ServerState } from "./components/fleet";
export { LocalEnvironment, LocalTarget, haproxyConfig } from "./targets/local/environment";
export type { LocalEnvironmentArgs, LocalTargetArgs } from "./targets/local/environment";
export { AwsEnvironment, AwsMonitors, AwsTarget } from "./targets/aws/environment";
export type { AwsEnvironmentArgs, AwsTargetArgs } from "./targets/aws/environment";
export { Epoch } from "./resources/epoch";
export { HaproxyMember } from "./resources/member";
export { Judgement } from "./resources/judgement";
export type { JudgementArgs } from "./resources/judgement";
export { Migration } from "./resources/migration";
export type { MigrationArgs, PostgresConnectionArgs } from "./resources/migration";
export { Process } from "./resources/process";
export type { ProcessArgs } from "./resources/process";
export { TargetHealth } from "./resources/target-health";
export { ConfigError, parseReleaseConfig } from "./src/release/config";
export type { RawConfig, ReleaseConfig } from "./src/release/config";
export { parseLocalConfig } from "./targets/local/config";
export type { LocalConfig } from "./targets/local/config";
export { parseAppConfig, startArgv } from "./src/release/app-config";
export type { AppConfig } from "./src/release/app-config";
export { parseStackConfig } from "./src/release/stack-config";
export type { StackConfig, TargetConfig } from "./src/release/stack-config";
export { canaryBaseline, liveForCheck, migrationsToApply, planRelease, withRunning } from "./src/release/plan";
export type { ReleasePlan, ServerPlan } from "./src/release/plan";
export { readMigrationFolder } from "./src/migrations/folder";
export type { MigrationFile } from "./src/migrations/folder";
