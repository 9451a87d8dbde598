// Pulumi mocks that also record the registration requests, so that tests can read the
// resource options mocks do not see (dependsOn, deleteBeforeReplace, replaceWith, parent).
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent: string;
    readonly inputs: Record<string, unknown>;
    readonly dependsOn: string[];
    readonly deleteBeforeReplace: boolean;
    readonly replaceWith: string[];
    readonly additionalSecretOutputs: string[];
}

/** Extra outputs a mock resource returns beside its inputs (e.g. an ARN a provider would compute). */
export type MockState = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

export async function recordRegistrations(project = "zdr", stack = "test", state: MockState = () => ({}), calls: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> = () => ({})): Promise<Registration[]> {
    const registrations: Registration[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) =>
                args.type === "pulumi:pulumi:StackReference"
                    ? // a stack's first up: no outputs yet
                      { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: {}, secretOutputNames: [], ...state(args) } }
                    : { id: `${args.name}-id`, state: { ...args.inputs, inLoadBalancer: true, pid: 1, ...state(args) } },
            call: (args) => ({ ...args.inputs, ...calls(args) }),
        },
        project,
        stack,
        false,
        "organization",
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource: (req: RegisterRequest, cb: (err: unknown, res: unknown) => void) => unknown;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) =>
        original(req, (err, res) => {
            if (!err) {
                const urn = (res as { getUrn(): string }).getUrn();
                registrations.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn,
                    parent: req.getParent(),
                    inputs: req.getObject()?.toJavaScript() ?? {},
                    dependsOn: req.getDependenciesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    replaceWith: req.getReplaceWithList(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                });
            }
            cb(err, res);
        });
    return registrations;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
    getReplaceWithList(): string[];
    getAdditionalsecretoutputsList(): string[];
}

/** Resolves an Output (assertions inside apply are lost). */
export function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

/**
 * What a resource waits for, with each batch's check (zdr:release:BatchCheck, components/fleet.ts)
 * replaced by what the check waits for: the ends (memberships, judgements) of the previous batch.
 */
export function waitsThroughChecks(registrations: readonly Registration[], r: Registration): string[] {
    const byUrn = new Map(registrations.map((x) => [x.urn, x]));
    return r.dependsOn.flatMap((u) => (byUrn.get(u)?.type === "zdr:release:BatchCheck" ? byUrn.get(u)!.dependsOn : [u]));
}
