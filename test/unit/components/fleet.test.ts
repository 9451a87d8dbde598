import { strict as assert } from "node:assert";
import { recordRegistrations, Registration, value, waitsThroughChecks } from "../../support/mocks";

describe("Fleet under mocks", () => {
    let registrations: Registration[];
    let servers: { name: string; version: string; inLoadBalancer: boolean }[];
    let keptServers: { name: string; port?: number }[];

    before(async () => {
        registrations = await recordRegistrations("zdr", "test", (args) => (args.type === "zdr:haproxy:LoadBalancer" ? { identity: `${args.name}-identity` } : {}));
        const { Fleet } = await import("../../../components/fleet");
        const { LocalEnvironment, LocalTarget } = await import("../../../targets/local/environment");
        const { parseReleaseConfig } = await import("../../../src/release/config");
        const { planRelease } = await import("../../../src/release/plan");
        const plan = planRelease(parseReleaseConfig({ releaseVersion: "v2", canaryCount: "1" }));
        const environment = new LocalEnvironment("local", { app: { name: "webshop", startCommand: ["node", "server.js", "--port", "{port}"], stopSignal: "SIGTERM" as const, stopGraceSeconds: 5, healthCheckPath: "/health", schemaVersions: {}, db: { name: "webshop", user: "webshop" } }, servers: ["web-1", "web-2", "web-3"], dir: "/tmp/zdr-unit", lbPort: 8080, appBasePort: 9101, dbPort: 55432, healthCheckIntervalMs: 250, dbPassword: "unit-secret" });
        const { Epoch } = await import("../../../resources/epoch");
        const fleet = new Fleet("webshop", {
            plan,
            epoch: new Epoch("release-epoch", { mode: "staged", release: "v2" }),
            target: new LocalTarget({ environment, projectDir: "/srv/app", drainTimeoutSeconds: 5, healthTimeoutSeconds: 5, eventsFile: "/tmp/zdr-unit/events.jsonl" }),
        });
        servers = await value(fleet.servers);
        // web-2 removed from a three-server fleet: web-3 keeps the port the last up gave it
        const kept = new LocalEnvironment("kept-local", { ...environment.args, servers: ["web-1", "web-3"], dir: "/tmp/zdr-unit-kept", ports: { "web-1": 9101, "web-3": 9103 } });
        const keptFleet = new Fleet("kept", {
            plan: planRelease(parseReleaseConfig({ servers: JSON.stringify(["web-1", "web-3"]) })),
            epoch: new Epoch("kept-epoch", { mode: "staged", release: "v1" }),
            target: new LocalTarget({ environment: kept, projectDir: "/srv/app", drainTimeoutSeconds: 5, healthTimeoutSeconds: 5, eventsFile: "/tmp/zdr-unit-kept/events.jsonl" }),
        });
        keptServers = await value(keptFleet.servers);
        // with the stack's Prometheus: three servers, then web-2 removed
        for (const [name, list] of [["mon3", ["web-1", "web-2", "web-3"]], ["mon2", ["web-1", "web-3"]]] as const) {
            const env = new LocalEnvironment(`${name}-local`, { ...environment.args, servers: list, dir: "/tmp/zdr-unit-mon", ports: { "web-1": 9101, "web-2": 9102, "web-3": 9103 }, prometheusPort: 19090 });
            await value(new Fleet(name, {
                plan: planRelease(parseReleaseConfig({ servers: JSON.stringify(list) })),
                epoch: new Epoch(`${name}-epoch`, { mode: "staged", release: "v1" }),
                target: new LocalTarget({ environment: env, projectDir: "/srv/app", drainTimeoutSeconds: 5, healthTimeoutSeconds: 5, eventsFile: "/tmp/zdr-unit-mon/events.jsonl" }),
            }).servers);
        }
        // let the remaining registrations settle
        await new Promise((r) => setTimeout(r, 50));
    });

    const find = (name: string) => {
        const r = registrations.find((x) => x.name === name);
        assert.ok(r, `${name} was registered`);
        return r;
    };

    it("exports each server's name, version, membership and port", () => {
        assert.deepEqual(servers, [
            { name: "web-1", version: "v2", inLoadBalancer: true, port: 9101 },
            { name: "web-2", version: "v1", inLoadBalancer: true, port: 9102 },
            { name: "web-3", version: "v1", inLoadBalancer: true, port: 9103 },
        ]);
    });

    it("runs a server on the port it keeps, not on appBasePort + its position", () => {
        assert.deepEqual(keptServers.map((s) => [s.name, s.port]), [["web-1", 9101], ["web-3", 9103]]);
        assert.equal(find("kept-web-3-server").inputs.address, "127.0.0.1:9103");
        assert.equal(find("kept-web-3-deploy").inputs.healthUrl, "http://127.0.0.1:9103/health");
        assert.deepEqual(find("kept-web-3-deploy").inputs.command, ["node", "server.js", "--port", "9103"]);
    });

    it("names children after the component and parents them to it", () => {
        const fleet = find("webshop");
        assert.equal(fleet.type, "zdr:fleet:Fleet");
        for (const s of ["web-1", "web-2", "web-3"]) {
            assert.equal(find(`webshop-${s}-deploy`).parent, fleet.urn);
            assert.equal(find(`webshop-${s}-member`).parent, fleet.urn);
            assert.equal(find(`webshop-${s}-deploy`).type, "zdr:local:Process");
            assert.equal(find(`webshop-${s}-member`).type, "zdr:haproxy:Member");
        }
    });

    const graph: { server: string; previous?: string }[] = [{ server: "web-1" }, { server: "web-2", previous: "web-1" }, { server: "web-3", previous: "web-2" }];
    for (const g of graph) {
        it(`drains ${g.server} before it deploys: its membership is replaced with its deploy, both delete-first`, () => {
            const deploy = find(`webshop-${g.server}-deploy`);
            const member = find(`webshop-${g.server}-member`);
            assert.equal(deploy.deleteBeforeReplace, true);
            assert.equal(member.deleteBeforeReplace, true);
            assert.deepEqual(member.replaceWith, [deploy.urn]);
            assert.ok(member.dependsOn.includes(deploy.urn));
        });
        it(`${g.server} waits for ${g.previous ?? "nothing but the environment"} to be back in the load balancer`, () => {
            const deploy = find(`webshop-${g.server}-deploy`);
            // through the previous server's batch check, which waits for its membership
            const checks = deploy.dependsOn.filter((u) => u.endsWith("-check"));
            assert.deepEqual(checks, g.previous ? [find(`webshop-${g.previous}-check`).urn] : []);
            const members = waitsThroughChecks(registrations, deploy).filter((u) => u.endsWith("-member"));
            assert.deepEqual(members, g.previous ? [find(`webshop-${g.previous}-member`).urn] : []);
        });
    }

    it("replaces a deploy when its version changes (triggers) and starts the app's own command with its version and port", () => {
        const deploy = find("webshop-web-1-deploy");
        assert.deepEqual(deploy.inputs.triggers, ["v2", "release-epoch-id"]);
        assert.deepEqual(deploy.inputs.command, ["node", "server.js", "--port", "9101"]);
        assert.equal(deploy.inputs.cwd, "/srv/app");
        assert.equal(deploy.inputs.stopTimeoutMs, 5000);
        assert.equal(deploy.inputs.healthUrl, "http://127.0.0.1:9101/health");
        const env = deploy.inputs.env as Record<string, string>;
        assert.deepEqual([env.APP_VERSION, env.PORT, env.PGDATABASE, env.PGUSER, env.PGAPPNAME], ["v2", "9101", "webshop", "webshop", "zdr:v2"]);
        assert.equal(find("webshop-web-3-member").inputs.server, "web-3");
    });

    it("feeds the release epoch's id into every deploy and membership (an all-at-once release replaces them through it)", () => {
        const epoch = find("release-epoch");
        assert.equal(epoch.deleteBeforeReplace, true);
        for (const server of ["web-1", "web-2", "web-3"]) {
            assert.ok((find(`webshop-${server}-deploy`).inputs.triggers as string[]).includes("release-epoch-id"));
            assert.equal(find(`webshop-${server}-member`).inputs.epoch, "release-epoch-id");
        }
    });

    it("keeps the database password secret wherever it goes", () => {
        const secretOutputs = (name: string) => find(name).additionalSecretOutputs;
        assert.deepEqual(secretOutputs("local-postgres"), ["env"]);
        assert.deepEqual(secretOutputs("webshop-web-1-deploy"), ["env"]);
    });

    it("starts HAProxy with no server in its configuration (each server is an entry added at run time)", () => {
        const haproxy = find("local-haproxy");
        assert.equal(haproxy.type, "zdr:haproxy:LoadBalancer");
        assert.equal(haproxy.deleteBeforeReplace, true);
        const cfg = haproxy.inputs.config as string;
        assert.doesNotMatch(cfg, /^\s*server /m);
        assert.match(cfg, /bind 127\.0\.0\.1:8080/);
        assert.match(cfg, /default-server inter 250 fall 2 rise 2/);
        assert.match(cfg, /server-state-file \/tmp\/zdr-unit\/haproxy\.state/);
    });

    for (const [server, port] of [["web-1", 9101], ["web-3", 9103]] as const) {
        it(`adds ${server} to HAProxy before its deploy and removes it after: deploy depends on its entry, the membership on both`, () => {
            const entry = find(`webshop-${server}-server`);
            assert.equal(entry.type, "zdr:haproxy:Server");
            assert.equal(entry.parent, find("webshop").urn);
            assert.equal(entry.deleteBeforeReplace, true);
            assert.deepEqual(
                { address: entry.inputs.address, check: entry.inputs.check, loadBalancer: entry.inputs.loadBalancer },
                { address: `127.0.0.1:${port}`, check: ["inter", "250", "fall", "2", "rise", "2"], loadBalancer: "local-haproxy-identity" },
            );
            assert.ok(find(`webshop-${server}-deploy`).dependsOn.includes(entry.urn));
            const previous = server === "web-3" ? [find("webshop-web-2-server").urn] : [];
            assert.deepEqual(entry.dependsOn.filter((u) => u.endsWith("-server")), previous, "entries in release order");
            const member = find(`webshop-${server}-member`);
            assert.ok(member.dependsOn.includes(entry.urn));
            assert.equal(member.inputs.entry, `webshop-${server}-server-id`);
            assert.equal(member.inputs.loadBalancer, "local-haproxy-identity");
        });
    }

    it("lists no server in Prometheus' or the process exporter's inputs: removing web-2 leaves both as they are", () => {
        for (const role of ["prometheus", "process-metrics"]) {
            const [three, two] = [find(`mon3-local-${role}`), find(`mon2-local-${role}`)];
            assert.deepEqual(two.inputs, three.inputs, role);
            assert.doesNotMatch(JSON.stringify(three.inputs), /web-\d|910\d/, role);
        }
        assert.deepEqual((find("mon3-local-process-metrics").inputs.command as string[]).slice(2), ["127.0.0.1:19092", "/tmp/zdr-unit-mon/prometheus/servers", "/tmp/zdr-unit-mon/prometheus/fresh"]);
    });

    it("gives each server its own scrape target, written before its deploy and removed after it", () => {
        for (const [server, port] of [["web-1", 9101], ["web-2", 9102], ["web-3", 9103]] as const) {
            const target = find(`mon3-${server}-metrics`);
            assert.equal(target.type, "zdr:local:ScrapeTarget");
            assert.equal(target.parent, find("mon3").urn);
            assert.deepEqual(target.inputs, { folder: "/tmp/zdr-unit-mon/prometheus/servers", server, address: `127.0.0.1:${port}` });
            assert.ok(find(`mon3-${server}-deploy`).dependsOn.includes(target.urn));
        }
        assert.equal(registrations.filter((r) => r.name.startsWith("mon2-") && r.type === "zdr:local:ScrapeTarget").length, 2);
        assert.equal(registrations.filter((r) => r.type === "zdr:local:ScrapeTarget" && !/^mon[23]-/.test(r.name)).length, 0, "no scrape target without a Prometheus");
    });
});
