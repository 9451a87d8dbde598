// What a failed `up` shows of the fleet: each server as the checkpoint's resources have it
// (membership, hook results, failure, verdict), the stack's last outputs only for what the
// checkpoint does not say.
import { strict as assert } from "node:assert";
import { fleetFromState, type ServerOutput, type StateResource } from "../../../src/release/fleet-state";

const failedBefore = [{ hook: "beforeAllowTraffic" as const, command: ["./smoke"], exitCode: 1, durationMs: 120, outputTail: "smoke: /items answered 500\n" }];
const last: ServerOutput[] = [
    { name: "web-1", version: "v1", inLoadBalancer: true, port: 9101 },
    { name: "web-2", version: "v1", inLoadBalancer: true, port: 9102 },
];
const member = (server: string, version: string, extra: Record<string, unknown> = {}): StateResource => ({ type: "zdr:haproxy:Member", outputs: { server, version, inLoadBalancer: true, ...extra } });
const both = [member("web-1", "v1"), member("web-2", "v1")];

describe("fleetFromState", () => {
    const cases: { name: string; resources: StateResource[]; want: ServerOutput[] }[] = [
        { name: "every membership in: the last outputs", resources: both, want: last },
        {
            name: "an HAProxy member whose beforeAllowTraffic failed: out, its new version, the hook's result and failure",
            resources: [member("web-1", "v2", { inLoadBalancer: false, hookResults: failedBefore, failure: "beforeAllowTraffic of web-1 exited with 1" }), both[1]],
            want: [{ name: "web-1", version: "v2", inLoadBalancer: false, hooks: failedBefore, port: 9101, failure: "beforeAllowTraffic of web-1 exited with 1" }, last[1]],
        },
        {
            name: "a membership recorded out by an init failure of a state from before issue 28 (no failure field): out, its hooks",
            resources: [member("web-1", "v2", { inLoadBalancer: false, hookResults: failedBefore }), both[1]],
            want: [{ name: "web-1", version: "v2", inLoadBalancer: false, hooks: failedBefore, port: 9101 }, last[1]],
        },
        {
            name: "an ALB target whose deploy failed",
            resources: [{ type: "zdr:aws:TargetHealth", outputs: { server: "web-2", version: "v2", inLoadBalancer: false, deployFailure: "exit 1", failure: "web-2 stays out: its deploy failed: exit 1" } }, { type: "zdr:aws:TargetHealth", outputs: { server: "web-1", version: "v1" } }],
            want: [last[0], { name: "web-2", version: "v2", inLoadBalancer: false, port: 9102, failure: "web-2 stays out: its deploy failed: exit 1" }],
        },
        {
            name: "the batch partner moved and serves: its new version, in",
            resources: [member("web-1", "v2", { inLoadBalancer: false, failure: "x" }), member("web-2", "v2")],
            want: [{ name: "web-1", version: "v2", inLoadBalancer: false, port: 9101, failure: "x" }, { name: "web-2", version: "v2", inLoadBalancer: true, port: 9102 }],
        },
        {
            name: "a server whose membership was drained and never re-created (only its deploy left): out, and says so",
            resources: [{ type: "zdr:local:Process", outputs: { events: { server: "web-1" } } }, both[1]],
            want: [{ name: "web-1", version: "v1", inLoadBalancer: false, port: 9101, failure: "web-1 has no membership in the state: it was drained and not reattached" }, last[1]],
        },
        {
            name: "an old membership marked for deletion is not the current one",
            resources: [{ ...member("web-1", "v1"), delete: true }, member("web-1", "v2"), { ...member("web-2", "v1"), pendingReplacement: true }, { type: "zdr:local:Process", outputs: { events: { server: "web-2" } } }],
            want: [{ name: "web-1", version: "v2", inLoadBalancer: true, port: 9101 }, { name: "web-2", version: "v1", inLoadBalancer: false, port: 9102, failure: "web-2 has no membership in the state: it was drained and not reattached" }],
        },
        {
            name: "a failing canary left out: its verdict and the judgement's failure; a partner's passing verdict",
            resources: [
                member("web-1", "v2"),
                { type: "zdr:canary:Judgement", outputs: { canary: "web-1", version: "v2", verdict: "fail", leftOut: true, failure: "canary web-1 (v2) failed its judgement" } },
                member("web-2", "v2"),
                { type: "zdr:canary:Judgement", outputs: { canary: "web-2", version: "v2", verdict: "pass", outcome: "inconclusive" } },
            ],
            want: [
                { name: "web-1", version: "v2", inLoadBalancer: false, verdict: "fail", port: 9101, failure: "canary web-1 (v2) failed its judgement" },
                { name: "web-2", version: "v2", inLoadBalancer: true, verdict: "inconclusive", port: 9102 },
            ],
        },
        {
            name: "a server added in the failed up",
            resources: [...both, member("web-3", "v1", { inLoadBalancer: false, hookResults: failedBefore, failure: "f" })],
            want: [...last, { name: "web-3", version: "v1", inLoadBalancer: false, hooks: failedBefore, failure: "f" }],
        },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(fleetFromState(last, c.resources), c.want));
    }
});
