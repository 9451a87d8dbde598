// The hosts target's program: the team's hosts over SSH, behind the team's HAProxy.
import * as path from "node:path";
import type { TargetProgram } from "../programs";
import type { HostsTargetConfig } from "./config";
import { HostsEnvironment, HostsTarget } from "./environment";

export const hostsProgram: TargetProgram<HostsTargetConfig> = {
    prepare(target, { release, app, stateDir, dbPassword, sshPrivateKey }) {
        return () => {
            const env = new HostsEnvironment({ config: target.hosts, app, dbPassword, sshPrivateKey: sshPrivateKey() });
            const fleetTarget = new HostsTarget({ environment: env, drainTimeoutSeconds: release.drainTimeoutSeconds, healthTimeoutSeconds: release.healthTimeoutSeconds, eventsFile: path.join(stateDir, "events.jsonl") });
            return { env, fleetTarget };
        };
    },
};
