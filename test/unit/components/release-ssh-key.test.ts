// A Release on the hosts target given its SSH key as an Output (a secret from the stack's config, as
// a team's program passes it): stackConfigOf cannot read it, so the Release checks its form once its
// value is known, in an `up` before it registers anything (it has only read the stack's last outputs).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../../../src/engine";
import { recordRegistrations } from "../../support/mocks";

/** Waits until the SDK's outstanding calls to the (mock) engine are answered; in the SDK's runtime, not in its typings. */
const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key-material-not-real\n-----END OPENSSH PRIVATE KEY-----";

/** Pulumi.hosts.yaml's settings as a team's program would type them. */
async function hostsSettings() {
    const file = yaml.load(fs.readFileSync(path.join(projectRoot, "Pulumi.hosts.yaml"), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, string> = { sshPrivateKey: key, dbPassword: "unit-test" };
    for (const [k, v] of Object.entries(file.config)) {
        raw[k.replace(/^zdr:/, "")] ??= typeof v === "string" ? v : JSON.stringify(v);
    }
    const { parseStackConfig } = await import("../../../src/release/stack-config");
    const { settingsOf } = await import("../../../src/release/release-args");
    return settingsOf(parseStackConfig(raw, { resolvePath: (p) => path.resolve(projectRoot, p), keysSet: Object.keys(raw) }));
}

describe("a Release given its SSH key as an Output", () => {
    let stateDir: string;
    before(() => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-release-key-"));
    });
    after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

    it("stops an up whose key is no private key before it registers anything, naming the setting and not the key", async () => {
        const regs = await recordRegistrations("zdr", "keyunit");
        const { Release } = await import("../../../components/release");
        const release = new Release("webshop", { ...(await hostsSettings()), dbPassword: pulumi.secret("db"), sshPrivateKey: pulumi.secret("not-a-key-material"), projectDir: projectRoot, stateDir });
        await assert.rejects(release.registered, (e: Error) => {
            assert.ok(pulumi.RunError.isInstance(e), String(e));
            assert.equal(e.message, 'sshPrivateKey: the hosts target needs an SSH private key (OpenSSH or PEM, "-----BEGIN ... PRIVATE KEY-----"); the one given is not one');
            return true;
        });
        // every registration the SDK sent has been answered (the same wait shows the second test's)
        await waitForRPCs();
        assert.deepEqual(regs.map((r) => r.type), []);
    });

    it("registers the hosts target's resources with a key that is one", async () => {
        const regs = await recordRegistrations("zdr", "keyunit");
        const { Release } = await import("../../../components/release");
        const release = new Release("webshop", { ...(await hostsSettings()), dbPassword: pulumi.secret("db"), sshPrivateKey: pulumi.secret(key), projectDir: projectRoot, stateDir });
        await release.registered;
        await waitForRPCs();
        assert.equal(regs.filter((r) => r.type === "zdr:hosts:Deploy").length, 3);
    });
});
