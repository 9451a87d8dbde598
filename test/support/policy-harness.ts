// Runs one resource policy against one resource, with validation args as complete as the
// engine's: stack tags, options, a getConfig that merges the configSchema defaults (the CLI
// applies them, not the library), isType, and a notApplicable that throws as the real one does.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

export class NotApplicable extends Error {}

export interface PolicyRun {
    readonly violations: { message: string; urn?: string }[];
    readonly notApplicable?: string;
}

export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: { type: string; name: string; props: Record<string, unknown> },
    config: Record<string, unknown> = {},
): Promise<PolicyRun> {
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]),
    );
    const urn = `urn:pulumi:test::zdr::${resource.type}::${resource.name}`;
    const args: ResourceValidationArgs = {
        type: resource.type,
        props: resource.props,
        urn,
        name: resource.name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map([["pulumi:project", "zdr"]]),
        isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === resource.type,
        asType: () => undefined,
        getConfig: <T extends object>() => ({ ...defaults, ...config }) as T,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason ?? "");
        },
    } as unknown as ResourceValidationArgs;
    const violations: { message: string; urn?: string }[] = [];
    const validations = [policy.validateResource ?? []].flat();
    try {
        for (const validate of validations) {
            await validate(args, (message, u) => violations.push({ message, urn: u }));
        }
    } catch (e) {
        if (e instanceof NotApplicable) {
            return { violations, notApplicable: e.message };
        }
        throw e;
    }
    return { violations };
}
