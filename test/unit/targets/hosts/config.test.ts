import { strict as assert } from "node:assert";
import type { RawConfig } from "../../../../src/release/config";
import { hostCommand } from "../../../../targets/hosts/config";
import { hostsProblems, hostsRaw, knownHostsLine, parseHosts } from "../../../support/hosts-config";

const base: RawConfig = hostsRaw({ "web-1": "198.18.0.11", "web-2": "198.18.0.12:2222" }, { dbHost: "198.18.0.1" });
const parse = parseHosts;
const problems = hostsProblems;

describe("parseHostsConfig", () => {
    it("reads the hosts, the HAProxy host and the defaults", () => {
        const c = parse(base);
        assert.deepEqual(c.hosts, { "web-1": { address: "198.18.0.11", sshPort: 22 }, "web-2": { address: "198.18.0.12", sshPort: 2222 } });
        assert.deepEqual(c.haproxy, { address: "198.18.0.10", sshPort: 22, socket: "/run/haproxy/admin.sock" });
        assert.deepEqual([c.sshUser, c.appPort, c.sshTimeoutSeconds, c.commandTimeoutSeconds, c.healthPollIntervalMs, c.db?.port], ["ubuntu", 8080, 10, 300, 500, 5432]);
    });

    it("needs no database keys for an app without migrations, and dbHost with them", () => {
        const { dbHost: _, ...withoutDb } = base;
        assert.equal(parse(withoutDb).db, undefined);
        assert.deepEqual(problems({ ...withoutDb, migrationsDir: "db/migrations" }).filter((p) => p.startsWith("zdr:dbHost:")).length, 1);
    });

    it("judges canaries with HAProxy's log on its host", () => {
        const c = parse({ ...base, bakeSeconds: "60", haproxyLogFile: "/var/log/haproxy-requests.log" });
        assert.deepEqual(c.haproxy, { address: "198.18.0.10", sshPort: 22, socket: "/run/haproxy/admin.sock", logFile: "/var/log/haproxy-requests.log" });
    });

    it("replaces {version} and {server} in a command", () => {
        assert.equal(hostCommand("deploy {server} {version} && echo {version}", "web-1", "v2"), "deploy web-1 v2 && echo v2");
    });

    const cases: { name: string; raw: RawConfig; problem: string | RegExp }[] = [
        { name: "a server without a host", raw: { hosts: '["web-1=198.18.0.11"]' }, problem: 'zdr:hosts: no host for web-2; every server needs "server=address"' },
        { name: "a host for no server", raw: { hosts: '["web-1=198.18.0.11","web-2=198.18.0.12","web-9=198.18.0.19"]' }, problem: "zdr:hosts: web-9 is not one of the servers (web-1, web-2)" },
        { name: "an entry that is no address", raw: { hosts: '["web-1=198.18.0.11","web-2=not an address"]' }, problem: 'zdr:hosts: "web-2=not an address" is not "server=address" or "server=address:sshPort" (an IPv4 address or a host name)' },
        { name: "a host listed twice", raw: { hosts: '["web-1=198.18.0.11","web-1=198.18.0.13","web-2=198.18.0.12:2222"]' }, problem: "zdr:hosts: web-1 is listed twice" },
        { name: "no HAProxy host", raw: { haproxyHost: "" }, problem: /^zdr:haproxyHost: required for the hosts target/ },
        { name: "an HAProxy host with a bad port", raw: { haproxyHost: "198.18.0.10:70000" }, problem: /^zdr:haproxyHost: must be an address or address:sshPort/ },
        { name: "an admin socket that is a TCP address", raw: { haproxySocket: "127.0.0.1:9999" }, problem: /^zdr:haproxySocket: must be the absolute path of HAProxy's admin socket/ },
        { name: "no known hosts", raw: { knownHosts: "[]" }, problem: /^zdr:knownHosts: must be a list of known_hosts lines/ },
        { name: "a host without a known key: no trust on first use", raw: { knownHosts: JSON.stringify(["198.18.0.10", "198.18.0.11"].map(knownHostsLine)) }, problem: "zdr:knownHosts: no line for web-2 ([198.18.0.12]:2222); zdr never trusts a host on first use: add its line (ssh-keyscan -p 2222 198.18.0.12) after checking its fingerprint on the host" },
        { name: "a known hosts line that is no key", raw: { knownHosts: '["198.18.0.10 ssh-ed25519"]' }, problem: /^zdr:knownHosts: known hosts line 1 is not/ },
        { name: "no private key", raw: { sshPrivateKey: "unused" }, problem: /^zdr:sshPrivateKey: the hosts target needs the SSH private key of sshUser/ },
        { name: "a deploy command without {version}", raw: { deployCommand: "deploy" }, problem: /^zdr:deployCommand: must be a shell command that installs and starts \{version\}/ },
        { name: "no stop command", raw: { stopCommand: "" }, problem: /^zdr:stopCommand: required for the hosts target/ },
        { name: "no database host", raw: { dbHost: "", migrationsDir: "db/migrations" }, problem: /^zdr:dbHost: required for the hosts target/ },
        { name: "a zero command time-out", raw: { commandTimeoutSeconds: "0" }, problem: 'zdr:commandTimeoutSeconds: must be an integer from 1 to 3600; got "0"' },
        { name: "a fast health poll", raw: { healthPollIntervalMs: "10" }, problem: 'zdr:healthPollIntervalMs: must be an integer from 50 to 60000; got "10"' },
        { name: "a canary bake without HAProxy's log on its host", raw: { bakeSeconds: "60" }, problem: /^zdr:haproxyLogFile: required on the hosts target when bakeSeconds > 0 \(the canary judge reads HAProxy's request log on its host over SSH\)/ },
        { name: "an HAProxy log that is no absolute path", raw: { haproxyLogFile: "haproxy.log" }, problem: 'zdr:haproxyLogFile: must be the absolute path of HAProxy\'s request log on its host (no spaces), written with the log-format in docs/hosts.md; got "haproxy.log"' },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}, naming the key`, () => {
            const got = problems({ ...base, ...c.raw });
            assert.ok(
                got.some((p) => (typeof c.problem === "string" ? p === c.problem : c.problem.test(p))),
                `expected ${c.problem} in ${JSON.stringify(got)}`,
            );
        });
    }

    it("never prints the private key", () => {
        const secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nsupersecretmaterial\n";
        const got = problems({ ...base, sshPrivateKey: secret.replace("-----BEGIN", "BEGIN") });
        assert.ok(got.length > 0 && got.every((p) => !p.includes("supersecretmaterial")));
    });
});
