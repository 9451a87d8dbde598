// The AWS target's program: an ALB and EC2 instances, their alarms and dashboard.
import type { TargetProgram } from "../programs";
import type { AwsTargetConfig } from "./config";
import { AwsEnvironment, AwsMonitors, AwsTarget } from "./environment";

export const awsProgram: TargetProgram<AwsTargetConfig> = {
    prepare(target, { release, app, plan, dbPassword, sshPrivateKey }) {
        return () => {
            const env = new AwsEnvironment("aws", { servers: release.servers, config: target.aws, app, dbPassword, healthCheckIntervalSeconds: Math.max(5, Math.round(release.healthCheckIntervalMs / 1000)) });
            const fleetTarget = new AwsTarget({ environment: env, sshPrivateKey: sshPrivateKey(), healthTimeoutSeconds: release.healthTimeoutSeconds });
            return { env, fleetTarget, dashboardUrl: new AwsMonitors("monitors", { environment: env, servers: plan.servers }).dashboardUrl };
        };
    },
};
