// The local default's program: HAProxy, PostgreSQL and the app's processes on loopback.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { TargetProgram } from "../programs";
import type { LocalTargetConfig } from "./config";
import { LocalEnvironment, LocalTarget } from "./environment";
import { lastPorts, planPorts } from "./ports";

export const localProgram: TargetProgram<LocalTargetConfig> = {
    prepare(target, { release, app, metricChecks, lastServers, projectDir, stateDir, dbPassword }) {
        // a server keeps its port: removing another one does not move (replace) it
        const ports = planPorts(release.servers, lastPorts(lastServers), target.local);
        return () => {
            // the settings require the password on the local default (its PostgreSQL)
            const env = new LocalEnvironment("local", { app, servers: release.servers, dir: stateDir, ...target.local, ports, loadBalancer: target.loadBalancer, healthCheckIntervalMs: release.healthCheckIntervalMs, dbPassword: pulumi.secret(dbPassword as pulumi.Input<string>), projectDir, metricChecks });
            const fleetTarget = new LocalTarget({ environment: env, projectDir, drainTimeoutSeconds: release.drainTimeoutSeconds, healthTimeoutSeconds: release.healthTimeoutSeconds, eventsFile: path.join(stateDir, "events.jsonl") });
            return { env, fleetTarget };
        };
    },
};
