// Pulumi Cloud settings of the release stack: Deployments (preview on pull request, up on merge)
// and the CrossGuard pack enforced on it. See components/deployments.ts.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ReleaseDeployments } from "../components/deployments";
import policyPackage from "../policy/package.json";

const config = new pulumi.Config();
const release = new ReleaseDeployments("release", {
    organization: config.require("organization"),
    project: "zdr",
    stack: config.get("stack") ?? "prod",
    repository: config.require("repository"),
    branch: config.get("branch") ?? "main",
    awsRoleArn: config.require("awsRoleArn"),
    policyPackDir: path.join(__dirname, "..", "policy"),
    policyPackName: "zdr",
    policyPackVersion: policyPackage.version,
});

export const policyGroup = release.policyGroup.name;
