// `zdr status` on the local default, against a fake HAProxy runtime API: versions come from the
// stack's `servers` output and the memberships' outputs, never from resource names.
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { judgementType } from "../../../provider/canary/judgement";
import { memberType } from "../../../provider/haproxy/member";
import { processType } from "../../../targets/local/provider/process";
import { fleetStatus, formatStatus, type ResourceState } from "../../../src/status";
import { type FakeHaproxy, showStat, startFakeHaproxy } from "../../support/fake-haproxy";

describe("zdr status (local default) against a fake runtime API", () => {
    let fake: FakeHaproxy | undefined;
    afterEach(async () => {
        await fake?.close();
        fake = undefined;
    });

    // The servers' health answers on loopback: /<server> answers the version that server runs.
    const running: Record<string, string> = {};
    const app = http.createServer((req, res) => res.end(JSON.stringify({ version: running[req.url?.slice(1) ?? ""] ?? "none" })));
    let base = "";
    before(async () => {
        await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => app.close(() => resolve())));

    /** A state whose resource names say nothing: only outputs tell the servers apart. */
    const state = (socket: string, members: { server: string; version: string }[], servers: { name: string; version: string; inLoadBalancer: boolean }[]): ResourceState[] => [
        { urn: "urn:pulumi:local::zdr::pulumi:pulumi:Stack::zdr-local", type: "pulumi:pulumi:Stack", outputs: { servers } },
        ...servers.map((s, i) => ({ urn: `urn:pulumi:local::zdr::x$${processType}::p${i}`, type: processType, outputs: { events: { file: "/tmp/e", server: s.name }, healthUrl: `${base}/${s.name}`, triggers: ["not-a-version"] } })),
        ...members.map((m, i) => ({ urn: `urn:pulumi:local::zdr::x$${memberType}::m${i}`, type: memberType, outputs: { runtimeApi: socket, backend: "webshop", server: m.server, version: m.version } })),
    ];

    it("reads each server's version and membership from the outputs, and flags drift HAProxy shows", async () => {
        Object.assign(running, { "web-1": "v2", "web-2": "v1" });
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }, { name: "web-2", status: "MAINT" }, { name: "web-9", status: "UP" }]));
        const rows = await fleetStatus(
            state(fake.socket, [{ server: "web-1", version: "v2" }, { server: "web-2", version: "v1" }], [
                { name: "web-1", version: "v2", inLoadBalancer: true },
                { name: "web-2", version: "v1", inLoadBalancer: true },
            ]),
        );
        assert.deepEqual(
            rows.map((r) => [r.server, r.stateVersion ?? "-", r.stateMember, r.lbStatus, r.drift]),
            [
                ["web-1", "v2", true, "UP", []],
                ["web-2", "v1", true, "MAINT", ["the state has it in the load balancer, HAProxy says MAINT"]],
                ["web-9", "-", false, "UP", ["HAProxy sends it traffic without a membership in the state"]],
            ],
        );
    });

    it("takes a membership's version over the stack's outputs of the last finished up", async () => {
        running["web-1"] = "v3";
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        const rows = await fleetStatus(state(fake.socket, [{ server: "web-1", version: "v3" }], [{ name: "web-1", version: "v2", inLoadBalancer: true }]));
        assert.deepEqual(rows.map((r) => [r.server, r.stateVersion, r.runningVersion, r.drift]), [["web-1", "v3", "v3", []]]);
    });

    it("shows a server a refresh dropped from the load balancer as no member", async () => {
        running["web-1"] = "v2";
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "MAINT" }]));
        const resources = state(fake.socket, [], [{ name: "web-1", version: "v2", inLoadBalancer: true }]);
        resources.push({ urn: "urn:pulumi:local::zdr::x$zdr:haproxy:LoadBalancer::lb", type: "zdr:haproxy:LoadBalancer", outputs: { runtimeApi: fake.socket, backend: "webshop" } });
        const rows = await fleetStatus(resources);
        assert.deepEqual(rows.map((r) => [r.server, r.stateVersion, r.stateMember, r.lbStatus, r.drift]), [["web-1", "v2", false, "MAINT", []]]);
    });

    it("says a canary is left out after failing its judgement, which check failed and how to roll it back: no drift", async () => {
        Object.assign(running, { "web-1": "faulty", "web-2": "v1" });
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "MAINT" }, { name: "web-2", status: "UP" }]));
        const resources = state(fake.socket, [{ server: "web-1", version: "faulty" }, { server: "web-2", version: "v1" }], [
            { name: "web-1", version: "v1", inLoadBalancer: true },
            { name: "web-2", version: "v1", inLoadBalancer: true },
        ]);
        resources.push({
            urn: `urn:pulumi:local::zdr::${judgementType}::j`,
            type: judgementType,
            outputs: { canary: "web-1", version: "faulty", baseline: ["web-2"], verdict: "fail", failedChecks: ["error-rate", "new-error: injected fault"], leftOut: true, reportFile: "/s/judgements/web-1-faulty.json" },
        });
        const rows = await fleetStatus(resources);
        const note = 'left out after failing canary: error-rate, new-error: injected fault (faulty); roll it back with a lower canaryCount or pin web-1=v1, or accept it with acceptVerdicts: ["web-1=faulty"]; report: /s/judgements/web-1-faulty.html';
        assert.deepEqual(rows.map((r) => [r.server, r.lbStatus, r.drift, r.canary]), [["web-1", "MAINT", [], note], ["web-2", "UP", [], undefined]]);
        assert.match(formatStatus(rows), /\nweb-1: left out after failing canary: error-rate, /);
        assert.match(formatStatus(rows), /no drift$/);
    });

    it("says a server is left out by its failed beforeAllowTraffic (the membership recorded out): no drift", async () => {
        Object.assign(running, { "web-1": "faulty", "web-2": "v1" });
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "MAINT" }, { name: "web-2", status: "UP" }]));
        const resources = state(fake.socket, [{ server: "web-2", version: "v1" }], [
            { name: "web-1", version: "v1", inLoadBalancer: true },
            { name: "web-2", version: "v1", inLoadBalancer: true },
        ]);
        resources.push({
            urn: `urn:pulumi:local::zdr::x$${memberType}::m9`,
            type: memberType,
            outputs: {
                runtimeApi: fake.socket, backend: "webshop", server: "web-1", version: "faulty", inLoadBalancer: false,
                hookResults: [{ hook: "beforeAllowTraffic", command: ["./smoke"], exitCode: 1, durationMs: 900, outputTail: "GET /products\nsmoke: 12 of 400 requests failed\n" }],
            },
        });
        const rows = await fleetStatus(resources);
        const note = "left out after its beforeAllowTraffic exited with 1 (faulty): smoke: 12 of 400 requests failed; the next up tries again";
        assert.deepEqual(rows.map((r) => [r.server, r.stateVersion, r.stateMember, r.lbStatus, r.drift, r.hook]), [["web-1", "faulty", false, "MAINT", [], note], ["web-2", "v1", true, "UP", [], undefined]]);
        assert.match(formatStatus(rows), /\nweb-1: left out after its beforeAllowTraffic exited with 1/);
        assert.match(formatStatus(rows), /no drift$/);
    });

    it("says a server's deploy failed while its batch-mate serves the release: the failure, what to do next, no drift although nothing answers", async () => {
        Object.assign(running, { "web-2": "v2", "web-3": "v1" });
        delete running["web-1"];
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "MAINT" }, { name: "web-2", status: "UP" }, { name: "web-3", status: "UP" }]));
        const resources = state(fake.socket, [{ server: "web-2", version: "v2" }, { server: "web-3", version: "v1" }], [
            { name: "web-1", version: "v1", inLoadBalancer: true },
            { name: "web-2", version: "v1", inLoadBalancer: true },
            { name: "web-3", version: "v1", inLoadBalancer: true },
        ]);
        // web-1's health URL answers nothing (its failed start left nothing running)
        resources[1] = { ...resources[1], outputs: { ...resources[1].outputs, healthUrl: "http://127.0.0.1:1/health", failure: "server web-1 (v2): health check failed for 4000 ms" } };
        const failure = "web-1 stays out of the load balancer: its deploy failed: server web-1 (v2): health check failed for 4000 ms";
        resources.push({ urn: `urn:pulumi:local::zdr::x$${memberType}::m9`, type: memberType, outputs: { runtimeApi: fake.socket, backend: "webshop", server: "web-1", version: "v2", inLoadBalancer: false, deployFailure: "server web-1 (v2): health check failed for 4000 ms", failure } });
        const rows = await fleetStatus(resources);
        assert.deepEqual(rows.map((r) => [r.server, r.stateVersion, r.runningVersion, r.stateMember, r.lbStatus, r.drift, r.failure]), [
            ["web-1", "v2", "not answering", false, "MAINT", [], failure],
            ["web-2", "v2", "v2", true, "UP", [], undefined],
            ["web-3", "v1", "v1", true, "UP", [], undefined],
        ]);
        assert.match(rows[0].next ?? "", /^fix what made the deploy of v2 fail and run `scripts\/pulumi up` \(it deploys it again\); or roll it back: lower canaryCount, or pin web-1=v1 /);
        assert.equal(rows[1].next, undefined, "nothing to do for a server that serves");
        const text = formatStatus(rows);
        assert.match(text, /\nweb-1: web-1 stays out of the load balancer: its deploy failed: server web-1 \(v2\): health check failed for 4000 ms\n/);
        assert.match(text, /\nweb-1 is out of the load balancer; next: fix what made the deploy of v2 fail/);
        assert.match(text, /no drift$/);
    });

    it("a judgement of an earlier deployment of another version says nothing", async () => {
        running["web-1"] = "v1";
        fake = await startFakeHaproxy(() => showStat([{ name: "web-1", status: "UP" }]));
        const resources = state(fake.socket, [{ server: "web-1", version: "v1" }], [{ name: "web-1", version: "v1", inLoadBalancer: true }]);
        resources.push({ urn: `urn:pulumi:local::zdr::${judgementType}::j`, type: judgementType, outputs: { canary: "web-1", version: "faulty", verdict: "fail", leftOut: true } });
        const rows = await fleetStatus(resources);
        assert.equal(rows[0].canary, undefined);
    });
});
