// The hosts target under mocks, over Pulumi.hosts.yaml's own config with a canary stage: per
// server a zdr:hosts:Deploy (the team's commands for the version, over SSH to its host) and a
// zdr:haproxy:Member that reaches HAProxy's admin socket through SSH to the HAProxy host; the
// private key a secret in both; the release graph's options as on the local default.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { specialSecretSig as secretSig, specialSigKey } from "@pulumi/pulumi/runtime";
import { projectRoot } from "../../../../src/engine";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../../support/mocks";

const servers = ["web-1", "web-2", "web-3"];
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key-material-not-real\n-----END OPENSSH PRIVATE KEY-----";

describe("the hosts target (Pulumi.hosts.yaml) under mocks", () => {
    let regs: Registration[];

    before(async () => {
        // what the provider records when web-2's deploy fails (issue 28)
        regs = await recordRegistrations("zdr", "hostsunit", (a) => (a.name === "webshop-web-2-deploy" ? { failure: "deploy of web-2 (v1): exit 3" } : {}));
        const file = yaml.load(fs.readFileSync(path.join(projectRoot, "Pulumi.hosts.yaml"), "utf8")) as { config: Record<string, unknown> };
        const raw: Record<string, string> = { sshPrivateKey: key, dbPassword: "unit-test", releaseVersion: "v2", canaryCount: "1" };
        for (const [k, v] of Object.entries(file.config)) {
            raw[k.replace(/^zdr:/, "")] ??= typeof v === "string" ? v : JSON.stringify(v);
        }
        const { parseStackConfig } = await import("../../../../src/release/stack-config");
        const { planRelease } = await import("../../../../src/release/plan");
        const { HostsEnvironment, HostsTarget } = await import("../../../../targets/hosts/environment");
        const { Fleet } = await import("../../../../components/fleet");
        const { Epoch } = await import("../../../../resources/epoch");
        const parsed = parseStackConfig(raw, { resolvePath: (p) => path.resolve(projectRoot, p), keysSet: Object.keys(raw) });
        assert.equal(parsed.target.kind, "hosts");
        if (parsed.target.kind !== "hosts") {
            return;
        }
        const environment = new HostsEnvironment({ config: parsed.target.hosts, app: parsed.app, dbPassword: "db-secret", sshPrivateKey: key });
        const fleet = new Fleet("webshop", {
            plan: planRelease(parsed.release),
            epoch: new Epoch("release-epoch", { mode: "staged", release: "v2" }),
            target: new HostsTarget({ environment, drainTimeoutSeconds: 30, healthTimeoutSeconds: 60 }),
        });
        const { Judgement } = await import("../../../../resources/judgement");
        new Judgement("webshop-web-1-judgement", {
            ...environment.canaryEvidence("web-1", ["web-2", "web-3"], { "web-1": "v2", "web-2": "v1", "web-3": "v1" }),
            canary: "web-1", version: "v2", deployment: "d", baseline: ["web-2", "web-3"], bakeSeconds: 120, accepted: false, reportFile: "/tmp/j.json",
        });
        await value(fleet.servers);
        await new Promise((r) => setTimeout(r, 100));
    });

    const of = (type: string) => regs.filter((r) => r.type === type);
    const named = (type: string, name: string) => {
        const r = regs.find((x) => x.type === type && x.name === name);
        assert.ok(r, `${type} ${name}`);
        return r;
    };
    const unwrap = (x: unknown): unknown => (x && typeof x === "object" && (x as Record<string, unknown>)[specialSigKey] === secretSig ? (x as { value: unknown }).value : x);

    it("registers a deploy and a membership per server, nothing else of the target, and a check per batch", () => {
        assert.deepEqual(of("zdr:hosts:Deploy").map((r) => r.name), servers.map((s) => `webshop-${s}-deploy`));
        assert.deepEqual(of("zdr:haproxy:Member").map((r) => r.name), servers.map((s) => `webshop-${s}-member`));
        assert.deepEqual(of("zdr:release:BatchCheck").map((r) => [r.name, r.inputs.servers]), servers.map((s) => [`webshop-${s}-check`, [s]]));
        // a failed deploy reaches its membership, which then reattaches nothing
        assert.deepEqual(of("zdr:haproxy:Member").map((r) => r.inputs.deployFailure), servers.map((s) => (s === "web-2" ? "deploy of web-2 (v1): exit 3" : undefined)));
        assert.equal(of("zdr:local:Process").length + of("zdr:haproxy:LoadBalancer").length + of("zdr:haproxy:Server").length, 0);
    });

    it("runs the team's commands for the server's version on its host", () => {
        const d = named("zdr:hosts:Deploy", "webshop-web-1-deploy").inputs;
        assert.equal(d.deployCommand, "sudo /opt/webshop/bin/deploy v2");
        assert.equal(d.stopCommand, "sudo systemctl stop webshop");
        assert.deepEqual(d.health, { address: "10.0.0.11", port: 8080, path: "/health", timeoutMs: 60000, intervalMs: 500 });
        assert.equal(d.commandTimeoutMs, 300000);
        assert.equal(named("zdr:hosts:Deploy", "webshop-web-2-deploy").inputs.deployCommand, "sudo /opt/webshop/bin/deploy v1");
    });

    it("logs in as sshUser with the known hosts, the private key a secret input and a secret output", () => {
        for (const r of [...of("zdr:hosts:Deploy"), ...of("zdr:haproxy:Member")]) {
            const ssh = r.inputs.ssh as Record<string, unknown>;
            assert.equal(ssh.user, "deploy", r.name);
            assert.equal((ssh.knownHosts as string[]).length, 4, r.name);
            assert.equal((ssh.privateKey as Record<string, unknown>)[specialSigKey], secretSig, `${r.name}: the key is sent as a secret`);
            assert.equal(unwrap(ssh.privateKey), key);
            assert.ok(r.additionalSecretOutputs.includes("ssh"), r.name);
        }
    });

    it("reaches HAProxy's admin socket on the HAProxy host, and each app host on its own address", () => {
        const m = named("zdr:haproxy:Member", "webshop-web-3-member").inputs;
        assert.equal(m.runtimeApi, "/run/haproxy/admin.sock");
        assert.equal((m.ssh as Record<string, unknown>).host, "10.0.0.10");
        assert.equal(m.backend, "webshop");
        assert.equal(m.server, "web-3");
        assert.equal((named("zdr:hosts:Deploy", "webshop-web-3-deploy").inputs.ssh as Record<string, unknown>).host, "10.0.0.13");
    });

    it("judges a canary on HAProxy's log on its host, over SSH, and leaves a failing one out through the admin socket there", () => {
        const j = named("zdr:canary:Judgement", "webshop-web-1-judgement");
        const remote = j.inputs.remoteRequestLog as { ssh: Record<string, unknown>; file: string };
        assert.equal(remote.file, "/var/log/haproxy-requests.log");
        assert.equal(remote.ssh.host, "10.0.0.10");
        assert.equal((remote.ssh.privateKey as Record<string, unknown>)[specialSigKey], secretSig, "the key is sent as a secret");
        const out = j.inputs.leaveOutOnFail as { runtimeApi: string; backend: string; ssh: Record<string, unknown> };
        assert.deepEqual([out.runtimeApi, out.backend, out.ssh.host], ["/run/haproxy/admin.sock", "webshop", "10.0.0.10"]);
        assert.equal(j.inputs.requestLog, undefined);
        assert.deepEqual(j.additionalSecretOutputs, ["remoteRequestLog", "leaveOutOnFail", "hostAppLogs"]);
    });

    it("reads each judged server's own log on its host over its own SSH connection: the journal of appLogUnit, {server} and {version} replaced", () => {
        const j = named("zdr:canary:Judgement", "webshop-web-1-judgement");
        const logs = j.inputs.hostAppLogs as Record<string, { ssh: Record<string, unknown>; unit?: string; file?: string }>;
        assert.deepEqual(Object.keys(logs), ["web-1", "web-2", "web-3"]);
        assert.deepEqual(Object.entries(logs).map(([s, l]) => [s, l.ssh.host, l.ssh.label, l.unit, l.file]), [
            ["web-1", "10.0.0.11", "web-1", "webshop.service", undefined],
            ["web-2", "10.0.0.12", "web-2", "webshop.service", undefined],
            ["web-3", "10.0.0.13", "web-3", "webshop.service", undefined],
        ]);
        for (const l of Object.values(logs)) {
            assert.equal((l.ssh.privateKey as Record<string, unknown>)[specialSigKey], secretSig, "the key is sent as a secret");
        }
    });

    it("drains before it deploys: delete-first, the membership replaced with its deploy, one server after the other", () => {
        for (const [i, s] of servers.entries()) {
            const deploy = named("zdr:hosts:Deploy", `webshop-${s}-deploy`);
            const member = named("zdr:haproxy:Member", `webshop-${s}-member`);
            assert.ok(deploy.deleteBeforeReplace && member.deleteBeforeReplace);
            assert.deepEqual(member.replaceWith, [deploy.urn]);
            assert.ok(member.dependsOn.includes(deploy.urn));
            if (i > 0) {
                assert.ok(waitsThroughChecks(regs, deploy).includes(named("zdr:haproxy:Member", `webshop-${servers[i - 1]}-member`).urn), `${s} waits for the previous server`);
            }
        }
    });
});
