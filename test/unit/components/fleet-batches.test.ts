import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../support/mocks";

class TestResource extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(type, name, props, opts);
    }
}

const six = ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6"];

describe("Fleet in batches under mocks (6 servers, maxUnavailable 2, web-3 judged)", () => {
    let registrations: Registration[];

    before(async () => {
        // what the providers would record: web-3's hook failed, web-4's deploy failed
        registrations = await recordRegistrations("zdr", "test", (a) =>
            a.name === "shop-web-3-member" ? { failure: "beforeAllowTraffic of web-3 exited with 1" } : a.name === "shop-web-4-deploy" ? { failure: "web-4 not healthy" } : {},
        );
        const { Fleet } = await import("../../../components/fleet");
        const { LocalEnvironment, LocalTarget } = await import("../../../targets/local/environment");
        const { parseReleaseConfig } = await import("../../../src/release/config");
        const { planRelease } = await import("../../../src/release/plan");
        const { planBatches } = await import("../../../src/release/batches");
        const { Epoch } = await import("../../../resources/epoch");
        const release = parseReleaseConfig({ servers: JSON.stringify(six), releaseVersion: "v2", canaryCount: "6", maxUnavailable: "2" });
        const plan = planRelease(release);
        const environment = new LocalEnvironment("batch-local", { app: { name: "shop", startCommand: ["./app", "{port}"], stopSignal: "SIGTERM" as const, stopGraceSeconds: 5, healthCheckPath: "/health", schemaVersions: {}, db: { name: "shop", user: "shop" } }, servers: six, dir: "/tmp/zdr-unit-batches", lbPort: 8080, appBasePort: 9201, dbPort: 55433, healthCheckIntervalMs: 250, dbPassword: "unit-secret" });
        const fleet = new Fleet("shop", {
            plan,
            batches: planBatches(plan, release.maxUnavailable),
            epoch: new Epoch("batch-epoch", { mode: "staged", release: "v2" }),
            target: new LocalTarget({ environment, projectDir: "/srv/app", drainTimeoutSeconds: 5, healthTimeoutSeconds: 5, eventsFile: "/tmp/zdr-unit-batches/events.jsonl" }),
            judge: (name, server, deploy, opts, notServing) => {
                if (server.name !== "web-3") {
                    return undefined;
                }
                const resource = new TestResource("zdr:test:Judge", name, { deployment: deploy.id, verdict: "pass", notServing }, opts);
                return { resource, verdict: pulumi.output("pass") };
            },
        });
        await value(fleet.servers);
        await new Promise((r) => setTimeout(r, 50));
    });

    const urn = (name: string) => {
        const r = registrations.find((x) => x.name === name);
        assert.ok(r, `${name} was registered`);
        return r.urn;
    };
    /** What a server's deploy waits for among the fleet's members and judgements (through the previous batch's check). */
    const waitsFor = (server: string) =>
        waitsThroughChecks(registrations, registrations.find((x) => x.name === `shop-${server}-deploy`)!)
            .filter((u) => /-(member|judgement)$/.test(u))
            .sort();

    const cases: { server: string; waits: string[] }[] = [
        { server: "web-1", waits: [] },
        { server: "web-2", waits: [] },
        { server: "web-3", waits: ["shop-web-1-member", "shop-web-2-member"] },
        { server: "web-4", waits: ["shop-web-1-member", "shop-web-2-member"] },
        // the check reads web-3's membership's failure as well as its judgement's
        { server: "web-5", waits: ["shop-web-3-judgement", "shop-web-3-member", "shop-web-4-member"] },
        { server: "web-6", waits: ["shop-web-3-judgement", "shop-web-3-member", "shop-web-4-member"] },
    ];
    for (const c of cases) {
        it(`${c.server} waits for ${c.waits.length ? c.waits.join(" and ") : "no other server"}, not for its batch-mate`, () => {
            assert.deepEqual(waitsFor(c.server), c.waits.map(urn).sort());
        });
    }

    it("still drains each server before it deploys (replaceWith, delete-first)", () => {
        for (const s of six) {
            const member = registrations.find((x) => x.name === `shop-${s}-member`)!;
            assert.equal(member.deleteBeforeReplace, true);
            assert.deepEqual(member.replaceWith, [urn(`shop-${s}-deploy`)]);
        }
    });

    it("closes each batch with a check that waits for every server of it, and the next batch waits for the check", () => {
        const checks = registrations.filter((r) => r.type === "zdr:release:BatchCheck");
        assert.deepEqual(checks.map((c) => [c.name, c.inputs.servers]), [
            ["shop-web-1+web-2-check", ["web-1", "web-2"]],
            ["shop-web-3+web-4-check", ["web-3", "web-4"]],
            ["shop-web-5+web-6-check", ["web-5", "web-6"]],
        ]);
        assert.deepEqual(checks[1].dependsOn.filter((u) => /-(member|judgement)$/.test(u)).sort(), [urn("shop-web-3-judgement"), urn("shop-web-3-member"), urn("shop-web-4-member")].sort());
        for (const s of ["web-5", "web-6"]) {
            assert.deepEqual(registrations.find((x) => x.name === `shop-${s}-deploy`)!.dependsOn.filter((u) => u.endsWith("-check")), [checks[1].urn], `${s} waits for the check of web-3 and web-4`);
        }
    });

    it("hands each failure on: the deploy's to its membership, the membership's to its judgement and its batch's check", () => {
        const inputs = (name: string) => registrations.find((x) => x.name === name)!.inputs;
        assert.equal(inputs("shop-web-4-member").deployFailure, "web-4 not healthy");
        assert.equal(inputs("shop-web-3-member").deployFailure, undefined);
        assert.equal(inputs("shop-web-3-judgement").notServing, "beforeAllowTraffic of web-3 exited with 1");
        assert.deepEqual(inputs("shop-web-3+web-4-check").failures, { "web-3": "beforeAllowTraffic of web-3 exited with 1" });
        assert.deepEqual(inputs("shop-web-1+web-2-check").failures, {});
    });

    it("refuses batches that skip or reorder servers", async () => {
        const { Fleet } = await import("../../../components/fleet");
        const { planRelease } = await import("../../../src/release/plan");
        const { parseReleaseConfig } = await import("../../../src/release/config");
        const plan = planRelease(parseReleaseConfig({ servers: JSON.stringify(six) }));
        const target = { deploy: () => assert.fail("nothing is created"), membership: () => assert.fail("nothing is created") };
        const epoch = new TestResource("zdr:test:Epoch", "refused-epoch", {});
        for (const batches of [[["web-2", "web-1"], ["web-3", "web-4", "web-5", "web-6"]], [six.slice(0, 5)], [[], six]]) {
            assert.throws(() => new Fleet(`refused-${batches.length}`, { plan, target, epoch, batches }), /must hold the servers web-1, web-2, web-3, web-4, web-5, web-6 once each, in release order/);
        }
    });
});
