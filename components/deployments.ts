import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";

/**
 * What a release of a stack deploys when it changes: the stack's config (a stage), and the code
 * and dependencies the program, the provider plugin and the policy pack run. The Deployments
 * settings and .github/workflows/release.yml both list exactly these (test/unit/workflow.test.ts).
 */
export function releasePaths(stack: string): string[] {
    return [
        `Pulumi.${stack}.yaml`, "Pulumi.yaml", "index.ts", "program.js", "components/**", "resources/**", "provider/**", "src/**", "policy/**", "app/**",
        "bin/**", "package.json", "package-lock.json",
    ];
}

export interface ReleaseDeploymentsArgs {
    /** Pulumi Cloud organization that owns the release stack. */
    readonly organization: string;
    /** The release program's project (Pulumi.yaml `name`). */
    readonly project: string;
    /** The stack the releases run on, e.g. "prod". */
    readonly stack: string;
    /** GitHub repository as owner/name, connected through the Pulumi GitHub app. */
    readonly repository: string;
    /** @default "main" */
    readonly branch?: string;
    /** IAM role the deployment assumes through OIDC: no long-lived AWS keys in Pulumi Cloud. */
    readonly awsRoleArn: string;
    /** Folder of the CrossGuard pack, published and enforced on the stack. */
    readonly policyPackDir: string;
    /** The pack's name (`new PolicyPack(name, ...)`) and its version (policy/package.json). */
    readonly policyPackName: string;
    readonly policyPackVersion: string;
}

/**
 * The Pulumi Deployments side of a release stack: the same flow as
 * .github/workflows/release.yml, run by Pulumi Cloud and clickable in its Deployments UI.
 *
 * - A pull request that changes the stack's config (one stage) is previewed; merging it runs
 *   `pulumi up`. Every merged stage is deployed: intermediate deployments are never skipped, so
 *   a merge of canaryCount 1 then 2 is two stages, each with its drain, deploy, reattach and
 *   judgement, not one jump.
 * - The CrossGuard pack is published and enforced on the stack (preventative), so the schema
 *   guard holds for every update, also one started from the UI or the CLI.
 * - AWS access comes through OIDC for the length of the run.
 */
export class ReleaseDeployments extends pulumi.ComponentResource {
    readonly settings: service.DeploymentSettings;
    readonly policyGroup: service.PolicyGroup;

    constructor(name: string, args: ReleaseDeploymentsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:deployments:ReleaseDeployments", name, {}, opts);
        const pack = new service.PolicyPack(`${name}-policy`, {
            organization: args.organization,
            name: args.policyPackName,
            sourcePath: args.policyPackDir,
            versionTag: args.policyPackVersion,
        }, { parent: this });
        this.policyGroup = new service.PolicyGroup(`${name}-policy-group`, {
            organizationName: args.organization,
            name: `${args.project}-${args.stack}-release`,
            entityType: "stacks",
            mode: "preventative",
            stacks: [{ name: args.stack, routingProject: args.project }],
            policyPacks: [{ name: pack.name, versionTag: pack.versionTag }],
        }, { parent: this });
        this.settings = new service.DeploymentSettings(`${name}-settings`, {
            organization: args.organization,
            project: args.project,
            stack: args.stack,
            sourceContext: { git: { branch: args.branch ?? "main", repoDir: "." } },
            vcs: {
                provider: "github",
                repository: args.repository,
                previewPullRequests: true,
                deployCommits: true,
                pullRequestTemplate: false,
                paths: releasePaths(args.stack),
            },
            operationContext: {
                options: { skipIntermediateDeployments: false, skipInstallDependencies: false },
                oidc: { aws: { roleARN: args.awsRoleArn, sessionName: `zdr-${args.stack}-release`, duration: "1h0m0s" } },
                environmentVariables: { PULUMI_SKIP_UPDATE_CHECK: "true" },
            },
            cacheOptions: { enable: true },
        }, { parent: this, dependsOn: [this.policyGroup] });
        this.registerOutputs({});
    }
}
