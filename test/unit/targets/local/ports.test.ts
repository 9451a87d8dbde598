import { strict as assert } from "node:assert";
import { ConfigError } from "../../../../src/release/config";
import { lastPorts, planPorts } from "../../../../targets/local/ports";

const local = { lbPort: 8080, appBasePort: 9101, dbPort: 55432, prometheusPort: 9090 };

describe("planPorts: a server keeps its port for its lifetime", () => {
    const cases: { name: string; servers: string[]; last: Record<string, number>; local?: typeof local; want: Record<string, number> }[] = [
        { name: "a first up numbers the servers from appBasePort", servers: ["web-1", "web-2", "web-3"], last: {}, want: { "web-1": 9101, "web-2": 9102, "web-3": 9103 } },
        {
            name: "removing the middle server moves no other",
            servers: ["web-1", "web-3"],
            last: { "web-1": 9101, "web-2": 9102, "web-3": 9103 },
            want: { "web-1": 9101, "web-3": 9103 },
        },
        {
            name: "a new server takes the lowest free port",
            servers: ["web-1", "web-3", "web-4"],
            last: { "web-1": 9101, "web-3": 9103 },
            want: { "web-1": 9101, "web-3": 9103, "web-4": 9102 },
        },
        {
            name: "a server removed in the same up keeps its port taken until it is stopped: new ones take others",
            servers: ["web-1", "web-3", "web-4"],
            last: { "web-1": 9101, "web-2": 9102, "web-3": 9103 },
            want: { "web-1": 9101, "web-3": 9103, "web-4": 9104 },
        },
        {
            name: "removing the first server moves no other; at the next up two new ones fill the gap, then go past the end",
            servers: ["web-2", "web-3", "web-4", "web-5"],
            last: { "web-2": 9102, "web-3": 9103 },
            want: { "web-2": 9102, "web-3": 9103, "web-4": 9101, "web-5": 9104 },
        },
        {
            name: "reordering the servers moves none",
            servers: ["web-3", "web-1", "web-2"],
            last: { "web-1": 9101, "web-2": 9102, "web-3": 9103 },
            want: { "web-1": 9101, "web-2": 9102, "web-3": 9103 },
        },
        {
            name: "a port below a raised appBasePort is given up",
            servers: ["web-1", "web-2"],
            last: { "web-1": 9101, "web-2": 9202 },
            local: { ...local, appBasePort: 9201 },
            want: { "web-1": 9201, "web-2": 9202 },
        },
        {
            name: "the load balancer's and the database's ports are skipped, kept or new",
            servers: ["web-1", "web-2", "web-3"],
            last: { "web-1": 9102 },
            local: { lbPort: 9101, appBasePort: 9101, dbPort: 9103, prometheusPort: 9090 },
            want: { "web-1": 9102, "web-2": 9104, "web-3": 9105 },
        },
        {
            name: "Prometheus' and its exporters' ports are skipped, kept or new",
            servers: ["web-1", "web-2"],
            last: { "web-1": 9091 },
            local: { lbPort: 8080, appBasePort: 9090, dbPort: 55432, prometheusPort: 9090 },
            want: { "web-1": 9093, "web-2": 9094 },
        },
        {
            name: "two servers with the same last port: the first in release order keeps it",
            servers: ["web-1", "web-2"],
            last: { "web-1": 9105, "web-2": 9105 },
            want: { "web-1": 9105, "web-2": 9101 },
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            assert.deepEqual(planPorts(c.servers, c.last, c.local ?? local), c.want);
        });
    }

    it("gives every server a distinct port, whatever the last up said", () => {
        const servers = Array.from({ length: 50 }, (_, i) => `s-${i}`);
        for (let seed = 1; seed <= 200; seed++) {
            let x = seed;
            const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
            const last = Object.fromEntries(servers.filter(() => rand() < 0.6).map((s) => [s, 9090 + Math.floor(rand() * 80)]));
            const ports = planPorts(servers, last, local);
            const values = Object.values(ports);
            assert.equal(new Set(values).size, servers.length, JSON.stringify({ last, ports }));
            assert.ok(values.every((p) => p >= local.appBasePort && p !== local.lbPort && p !== local.dbPort));
            const lastHolder = (p: number) => Object.entries(last).find(([, q]) => q === p)?.[0];
            for (const [s, p] of Object.entries(ports)) {
                assert.ok(lastHolder(p) === undefined || lastHolder(p) === s || last[s] === p, `${s} takes ${p}, which ${lastHolder(p)} held at the last up`);
            }
            for (const [s, p] of Object.entries(last)) {
                if (p >= local.appBasePort && Object.entries(last).find(([, q]) => q === p)?.[0] === s) {
                    assert.equal(ports[s], p, `${s} keeps ${p}`);
                }
            }
        }
    });

    it("refuses an appBasePort with no free port left, naming the key", () => {
        assert.throws(() => planPorts(["a", "b"], {}, { lbPort: 8080, appBasePort: 65535, dbPort: 55432, prometheusPort: 9090 }), (e: ConfigError) => {
            assert.deepEqual(e.problems, ["zdr:appBasePort: 65535 leaves no free port up to 65535 for b; choose a lower one"]);
            return true;
        });
    });
});

describe("lastPorts", () => {
    it("reads each server's port from the last up's servers output, skipping entries without one", () => {
        assert.deepEqual(lastPorts([{ name: "web-1", version: "v1", port: 9101 }, { name: "web-2", version: "v1" }, { name: "web-3", port: "9103" }, null]), { "web-1": 9101 });
        assert.deepEqual(lastPorts(undefined), {});
    });
});
