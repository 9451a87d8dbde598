// The program side of every target (targets/registry.ts lists them): how the Release builds a
// target's environment and how its fleet reaches it. Each target's program.ts is loaded only when
// that target is used (@pulumi/aws alone takes 0.2-0.5 s to load).
import type * as pulumi from "@pulumi/pulumi";
import type { Environment, FleetTarget } from "../components/fleet";
import type { MetricCheckConfig } from "../src/monitors/config";
import type { AppConfig } from "../src/release/app-config";
import type { ReleaseConfig } from "../src/release/config";
import type { ReleasePlan } from "../src/release/plan";
import type { TargetConfig, TargetKind } from "./registry";

/** What every target's program is given. */
export interface TargetBuildContext {
    readonly release: ReleaseConfig;
    readonly app: AppConfig;
    readonly plan: ReleasePlan;
    /** The canary's metric checks (on a target whose definition says it runs them). */
    readonly metricChecks: readonly MetricCheckConfig[];
    /** Each server's outputs at this stack's last up (none on a first up). */
    readonly lastServers?: readonly object[];
    /** The project's folder (the app's paths are resolved against it). */
    readonly projectDir: string;
    /** The stack's folder for data, sockets, logs and the events file. */
    readonly stateDir: string;
    /** The database password, a secret. @default - none: no database */
    readonly dbPassword?: pulumi.Input<string>;
    /** The SSH private key, a secret; fails with a message naming the setting when none was given. */
    readonly sshPrivateKey: () => pulumi.Input<string>;
}

/** A target built: its environment, how the fleet reaches it, and its dashboard if it has one. */
export interface TargetBuild {
    readonly env: Environment;
    readonly fleetTarget: FleetTarget;
    readonly dashboardUrl?: pulumi.Output<string>;
}

/**
 * A target's program. `prepare` checks and plans what only the running stack can tell (the local
 * default's ports against the last up) and creates nothing; the function it returns creates the
 * target's resources.
 */
export interface TargetProgram<C extends TargetConfig> {
    prepare(config: C, ctx: TargetBuildContext): () => TargetBuild;
}

type Programs = { readonly [K in TargetKind]: () => Promise<TargetProgram<Extract<TargetConfig, { kind: K }>>> };

/** Every target's program, by kind, loaded when used. */
export const targetPrograms: Programs = {
    local: async () => (await import("./local/program")).localProgram,
    aws: async () => (await import("./aws/program")).awsProgram,
    hosts: async () => (await import("./hosts/program")).hostsProgram,
};

/** Prepares the program of the configured target (see TargetProgram). */
export async function prepareTarget(config: TargetConfig, ctx: TargetBuildContext): Promise<() => TargetBuild> {
    const program = (await targetPrograms[config.kind]()) as TargetProgram<TargetConfig>;
    return program.prepare(config, ctx);
}
