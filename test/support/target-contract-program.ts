// One registered target's whole program (index.ts) under Pulumi's mocks, over its example stack
// (targets/registry.ts: exampleStack) with a canary stage; prints what it registered as JSON on
// the last line of stdout. test/unit/targets/contract.test.ts runs it once per target, each in a
// process of its own (Pulumi's mocks are per process).
//   node -r ts-node/register/transpile-only test/support/target-contract-program.ts <kind> [<key left unset>...]
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../../src/engine";
import { targetDefinition } from "../../targets/registry";
import { recordRegistrations, type Registration, value } from "./mocks";

/** The secrets the stage passes: the contract test requires that neither appears in plain text. */
export const contractSecrets = { dbPassword: "contract-db-secret-9f2c", sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\ncontract-key-material-4b7e\n-----END OPENSSH PRIVATE KEY-----" };
/** The failure the fake provider records for web-2's deploy (a provider records, not throws, it). */
export const contractDeployFailure = "deploy of web-2 (v1): exit 3";

/** What the target's program registers over its example stack, run in a process of its own (`unset`: keys left out of the stack). */
export function contractRegistrations(kind: string, unset: readonly string[] = []): Registration[] {
    const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "test/support/target-contract-program.ts", kind, ...unset], { cwd: projectRoot, encoding: "utf8", timeout: 240_000, maxBuffer: 64 << 20 });
    assert.equal(run.status, 0, `the ${kind} program under mocks: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split("\n").pop() as string) as Registration[];
}

/** `unset`: keys of the example stack left out (e.g. the hosts target's prometheusUrl). */
async function main(kind: string, unset: readonly string[] = []): Promise<void> {
    const definition = targetDefinition(kind);
    if (!definition) {
        throw new Error(`no target ${kind}`);
    }
    const regs = await recordRegistrations("zdr", `contract-${kind}`, (args) => {
        // what a cloud would compute; every other output is the inputs back (mocks.ts)
        const computed: Record<string, Record<string, unknown>> = {
            "aws:lb/targetGroup:TargetGroup": { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/tg/0123456789abcdef", arnSuffix: "targetgroup/tg/0123456789abcdef" },
            "aws:lb/loadBalancer:LoadBalancer": { arn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/alb/fedcba9876543210", arnSuffix: "app/alb/fedcba9876543210", dnsName: "alb-1.eu-central-1.elb.amazonaws.com" },
            "aws:ec2/instance:Instance": { privateIp: `10.0.1.${Number(args.name.replace(/\D/g, "")) + 10}` },
            "zdr:hosts:HostKey": { publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R zdr-${args.inputs.server}`, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhost\n-----END OPENSSH PRIVATE KEY-----\n" },
        };
        const failed = args.name.endsWith("-web-2-deploy") ? { failure: contractDeployFailure } : {};
        return { ...computed[args.type], ...failed };
    }, (call) => (call.token === "aws:index/getCallerIdentity:getCallerIdentity" ? { accountId: "123456789012" } : {}));
    const file = yaml.load(fs.readFileSync(path.join(projectRoot, definition.exampleStack), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(file.config)) {
        if ((typeof v === "string" || Array.isArray(v)) && !unset.includes(k.replace(/^zdr:/, ""))) {
            config[k] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    Object.assign(config, {
        "zdr:servers": JSON.stringify(["web-1", "web-2", "web-3"]),
        "zdr:stableVersion": "v1", "zdr:releaseVersion": "v2", "zdr:canaryCount": "1", "zdr:bakeSeconds": "600",
        "zdr:dbPassword": contractSecrets.dbPassword,
        ...(definition.kind !== "local" ? { "zdr:sshPrivateKey": contractSecrets.sshPrivateKey } : {}),
    });
    pulumi.runtime.setAllConfig(config, ["zdr:dbPassword", "zdr:sshPrivateKey"]);
    // the local default's data and sockets: a throwaway folder, nothing starts under mocks
    process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), "zdr-contract-")));
    fs.symlinkSync(path.join(projectRoot, "app"), "app");
    const program = await (await import("../../index")).default();
    await value(program.servers);
    await new Promise((r) => setTimeout(r, 200));
    process.stdout.write(`\n${JSON.stringify(regs)}\n`);
}

if (require.main === module) {
    main(process.argv[2] ?? "", process.argv.slice(3)).then(
        () => process.exit(0),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
