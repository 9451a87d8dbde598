// examples/own-app, a team's own program that imports zdr as a library ("zdr" resolves to this
// package's exports: dist/, built by scripts/setup), under mocks.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../../../src/engine";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../support/mocks";

describe("examples/own-app under mocks", () => {
    let regs: Registration[];
    let servers: { name: string; version: string }[];

    before(async () => {
        regs = await recordRegistrations("hello-fleet", "dev");
        pulumi.runtime.setAllConfig({
            "hello-fleet:version": "1.0.0",
            "hello-fleet:release": "1.1.0",
            "hello-fleet:canaryCount": "1",
            "hello-fleet:basePort": "9301",
            "hello-fleet:lbPort": "8301",
            "hello-fleet:dbPort": "55501",
            "hello-fleet:dbPassword": "example-secret",
        }, ["hello-fleet:dbPassword"]);
        // by path: the example type-checks on its own (node16 resolution of "zdr"; npm run typecheck)
        const program = (await import(path.join(projectRoot, "examples/own-app/index.ts"))) as { servers: pulumi.Output<{ name: string; version: string }[]> };
        servers = await value(program.servers);
        await new Promise((r) => setTimeout(r, 50));
    });

    it("releases the team's own version to the canary", () => {
        assert.deepEqual(servers.map((s) => `${s.name}=${s.version}`), ["hello-1=1.1.0", "hello-2=1.0.0"]);
    });

    it("starts the team's own command with the version and port", () => {
        const deploy = regs.find((r) => r.name === "hello-hello-1-deploy");
        assert.ok(deploy);
        assert.deepEqual(deploy.inputs.command, ["python3", "app/hello.py", "--version", "1.1.0", "--port", "9301"]);
        assert.equal(deploy.inputs.healthUrl, "http://127.0.0.1:9301/healthz");
    });

    it("builds zdr's release graph: membership delete-first and replaced with its deploy", () => {
        const deploy = regs.find((r) => r.name === "hello-hello-2-deploy");
        const member = regs.find((r) => r.name === "hello-hello-2-member");
        assert.ok(deploy && member);
        assert.equal(member.type, "zdr:haproxy:Member");
        assert.deepEqual(member.replaceWith, [deploy.urn]);
        assert.equal(member.inputs.backend, "hello");
        assert.ok(waitsThroughChecks(regs, deploy).includes(regs.find((r) => r.name === "hello-hello-1-member")!.urn), "one server at a time");
    });
});
