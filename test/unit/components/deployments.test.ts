// The Pulumi Deployments settings of the prod stack, under mocks: what Pulumi Cloud is told.
import { strict as assert } from "node:assert";
import { releasePaths } from "../../../components/deployments";
import { recordRegistrations, Registration } from "../../support/mocks";

describe("ReleaseDeployments under mocks", () => {
    let registrations: Registration[];

    before(async () => {
        registrations = await recordRegistrations("zdr-deployments", "org");
        const { ReleaseDeployments } = await import("../../../components/deployments");
        new ReleaseDeployments("release", {
            organization: "webshop",
            project: "zdr",
            stack: "prod",
            repository: "webshop/zdr-release",
            awsRoleArn: "arn:aws:iam::123456789012:role/zdr-pulumi-deployments",
            policyPackDir: "/repo/policy",
            policyPackName: "zdr",
            policyPackVersion: "0.1.0",
        });
        await new Promise((r) => setTimeout(r, 50));
    });

    const get = (input: Record<string, unknown>, dotted: string): unknown =>
        dotted.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], input);

    const cases: [string, string, string, unknown][] = [
        ["the pack is published from policy/", "pulumiservice:index:PolicyPack", "sourcePath", "/repo/policy"],
        ["under its own name and version", "pulumiservice:index:PolicyPack", "versionTag", "0.1.0"],
        ["and enforced, not only audited", "pulumiservice:index:PolicyGroup", "mode", "preventative"],
        ["on the prod stack of the zdr project", "pulumiservice:index:PolicyGroup", "stacks", [{ name: "prod", routingProject: "zdr" }]],
        ["settings for the prod stack", "pulumiservice:index:DeploymentSettings", "stack", "prod"],
        ["a pull request gets a preview", "pulumiservice:index:DeploymentSettings", "vcs.previewPullRequests", true],
        ["a merge runs up", "pulumiservice:index:DeploymentSettings", "vcs.deployCommits", true],
        ["a change of the stack's config triggers it", "pulumiservice:index:DeploymentSettings", "vcs.paths.0", "Pulumi.prod.yaml"],
        ["so does a change of the code it runs, the same paths as the release workflow's", "pulumiservice:index:DeploymentSettings", "vcs.paths", releasePaths("prod")],
        ["every merged stage is deployed (no skipping from canaryCount 1 to 3)", "pulumiservice:index:DeploymentSettings", "operationContext.options.skipIntermediateDeployments", false],
        ["AWS through OIDC", "pulumiservice:index:DeploymentSettings", "operationContext.oidc.aws.roleARN", "arn:aws:iam::123456789012:role/zdr-pulumi-deployments"],
        ["from the main branch", "pulumiservice:index:DeploymentSettings", "sourceContext.git.branch", "main"],
    ];
    for (const [what, type, key, want] of cases) {
        it(`${what} (${type.split(":")[2]}.${key})`, () => {
            const r = registrations.find((x) => x.type === type);
            assert.ok(r, `${type} registered`);
            assert.deepEqual(get(r.inputs, key), want);
        });
    }

    it("parents everything to the component and sets the settings after the policy group", () => {
        const component = registrations.find((r) => r.type === "zdr:deployments:ReleaseDeployments");
        assert.ok(component);
        const children = registrations.filter((r) => r.type.startsWith("pulumiservice:"));
        assert.equal(children.length, 3);
        assert.ok(children.every((r) => r.parent === component.urn));
        const group = children.find((r) => r.type === "pulumiservice:index:PolicyGroup");
        assert.ok(children.find((r) => r.type === "pulumiservice:index:DeploymentSettings")?.dependsOn.includes(group!.urn));
    });
});
