// How zdr's own code (tests, the demo) reaches the Pulumi engine: through bin/pulumi, a link to
// scripts/pulumi, so that the Automation API gets exactly the engine and offline settings that
// a user's manual `scripts/pulumi up` gets.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

/** The project's folder (where Pulumi.yaml is): src/'s parent when run from the sources, dist/'s parent when compiled (bin/zdr runs dist/src/cli.js). */
export const projectRoot = ((up: string) => (fs.existsSync(path.join(up, "Pulumi.yaml")) ? up : path.dirname(up)))(path.resolve(__dirname, ".."));

/** The settings scripts/pulumi applies, for a state folder of the caller's choice. */
export function engineEnv(stateDir: string): Record<string, string> {
    fs.mkdirSync(stateDir, { recursive: true });
    return {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "zdr-local",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

export function pulumiCommand(): Promise<PulumiCommand> {
    return PulumiCommand.get({ root: projectRoot });
}

/** A new stack of the Pulumi project in workDir, its state in stateDir. */
export async function createStack(workDir: string, stackName: string, stateDir: string): Promise<Stack> {
    const ws = await LocalWorkspace.create({
        workDir,
        pulumiCommand: await pulumiCommand(),
        envVars: engineEnv(stateDir),
    });
    return Stack.create(stackName, ws);
}
