// Wiring only: read and validate the stack config, hand it to a Release, export its outputs.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Release, validated } from "./components/release";
import { namespace } from "./src/release/config";
import { settingsOf } from "./src/release/release-args";
import { parseStackConfig, stackKeys } from "./src/release/stack-config";
import { targetDefinition } from "./targets/registry";
import { mark, processStart } from "./src/profile";
// which config values the stack holds as secrets (the language host passes their keys); not in the SDK's typings
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

mark("program", "process start", processStart());
mark("program", "loaded");

// Validated before the program's first resource (and at module load: an error here ends the
// run at once, with the message alone).
const config = new pulumi.Config(namespace);
const allConfig = pulumi.runtime.allConfig();
const raw = Object.fromEntries(stackKeys.map((k) => [k, allConfig[`${namespace}:${k}`]]));
const projectDir = process.cwd();
const stack = validated(() =>
    parseStackConfig(raw, {
        resolvePath: (p) => path.resolve(projectDir, p),
        envLbPort: process.env.ZDR_LB_PORT,
        keysSet: Object.keys(allConfig).filter((k) => k.startsWith(`${namespace}:`)).map((k) => k.slice(namespace.length + 1)),
        plainKeys: Object.keys(allConfig).filter((k) => k.startsWith(`${namespace}:`) && !isConfigSecret(k)).map((k) => k.slice(namespace.length + 1)),
    }),
);
const release = new Release(stack.app.name, {
    ...settingsOf(stack),
    // required (parseStackConfig) where a database is used: the local default's, or the migrations'
    dbPassword: config.getSecret("dbPassword"),
    ...(targetDefinition(stack.target.kind)?.usesSshKey ? { sshPrivateKey: config.requireSecret("sshPrivateKey") } : {}),
    projectDir,
});

export = async () => {
    await release.registered;
    return {
        servers: release.servers,
        liveVersions: release.liveVersions,
        loadBalancerUrl: release.loadBalancerUrl,
        ...(release.dashboardUrl ? { dashboardUrl: release.dashboardUrl } : {}),
    };
};
