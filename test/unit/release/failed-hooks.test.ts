// What a failed `up` shows of a failed hook: the stack's last outputs stand, and a membership the
// state holds out of the load balancer with its hooks' results (an init failure) overrides its
// server's entry.
import { strict as assert } from "node:assert";
import { withFailedHooks, type ServerOutput, type StateResource } from "../../../src/release/stages";

const failedBefore = [{ hook: "beforeAllowTraffic" as const, command: ["./smoke"], exitCode: 1, durationMs: 120, outputTail: "smoke: /items answered 500\n" }];
const last: ServerOutput[] = [
    { name: "web-1", version: "v1", inLoadBalancer: true },
    { name: "web-2", version: "v1", inLoadBalancer: true },
];

describe("withFailedHooks", () => {
    const cases: { name: string; resources: StateResource[]; want: ServerOutput[] }[] = [
        { name: "no failed membership: the last outputs", resources: [{ type: "zdr:haproxy:Member", outputs: { server: "web-1", version: "v1", inLoadBalancer: true } }], want: last },
        {
            name: "an HAProxy member whose beforeAllowTraffic failed: out, its new version, the hook's result",
            resources: [{ type: "zdr:haproxy:Member", outputs: { server: "web-1", version: "v2", inLoadBalancer: false, hookResults: failedBefore } }],
            want: [{ name: "web-1", version: "v2", inLoadBalancer: false, hooks: failedBefore }, last[1]],
        },
        {
            name: "an ALB target whose hook failed",
            resources: [{ type: "zdr:aws:TargetHealth", outputs: { server: "web-2", version: "v2", inLoadBalancer: false, hookResults: failedBefore } }],
            want: [last[0], { name: "web-2", version: "v2", inLoadBalancer: false, hooks: failedBefore }],
        },
        {
            name: "a server added in the failed up",
            resources: [{ type: "zdr:haproxy:Member", outputs: { server: "web-3", version: "v1", inLoadBalancer: false, hookResults: failedBefore } }],
            want: [...last, { name: "web-3", version: "v1", inLoadBalancer: false, hooks: failedBefore }],
        },
        {
            name: "other resources with the same outputs are not memberships",
            resources: [{ type: "zdr:local:Process", outputs: { server: "web-1", inLoadBalancer: false, hookResults: failedBefore } }],
            want: last,
        },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(withFailedHooks(last, c.resources), c.want));
    }
});
