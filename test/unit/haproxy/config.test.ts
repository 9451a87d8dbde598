import { strict as assert } from "node:assert";
import { withServers } from "../../../src/haproxy/config";

const base = ["global", "    stats socket /tmp/x.sock level admin", "frontend web", "    bind 127.0.0.1:8080", "backend webshop", "    balance roundrobin", ""].join("\n");

describe("withServers: the servers HAProxy runs, written into the configuration for a reload", () => {
    const cases: { name: string; servers: { server: string; address: string; port: number }[]; tail: string[] }[] = [
        { name: "no server: the base as it is", servers: [], tail: ["    balance roundrobin"] },
        {
            name: "two servers appended to the last section, without `disabled` (states come from the state file)",
            servers: [{ server: "web-1", address: "127.0.0.1", port: 9101 }, { server: "web-4", address: "127.0.0.1", port: 9104 }],
            tail: ["    balance roundrobin", "    server web-1 127.0.0.1:9101 check", "    server web-4 127.0.0.1:9104 check"],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const lines = withServers(base, "webshop", c.servers).trimEnd().split("\n");
            assert.deepEqual(lines.slice(-c.tail.length), c.tail);
            assert.ok(lines.join("\n").startsWith(base.trimEnd()));
        });
    }
    it("refuses a base whose last section is not the backend", () => {
        assert.throws(() => withServers(`${base}frontend other\n`, "webshop", []), /must end with the section "backend webshop".*"frontend other"/);
    });
    it("refuses a base whose backend declares servers itself", () => {
        assert.throws(() => withServers(`${base}    server web-9 127.0.0.1:1 check\n`, "webshop", []), /must not declare servers/);
    });
});
