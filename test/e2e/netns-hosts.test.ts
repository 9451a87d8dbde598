// The test hosts themselves (test/support/netns-hosts.ts): network namespaces on a bridge in
// 198.18.0.0/15, each running Debian's sshd with this run's keys. They reach each other and
// this machine, nothing else; closing them leaves no namespace, link or process behind. A host
// may run its own systemd-journald (no systemd on this machine): its journal is its own.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createNetnsHosts, NetnsHosts } from "../support/netns-hosts";

describe("test hosts in network namespaces", function () {
    this.timeout(60_000);
    let fleet: NetnsHosts | undefined;

    after(() => fleet?.close());

    it("reach each other over SSH with the run's keys, and have no route beyond their own network", async () => {
        const f = await createNetnsHosts(["a", "b", "c"]);
        fleet = f;
        assert.match(f.subnet, /^198\.18\.\d+\.0\/24$/);
        const knownHosts = path.join(f.dir, "known_hosts");
        fs.writeFileSync(knownHosts, f.hosts.map((h) => h.knownHostsLine).join("\n") + "\n");
        for (const from of f.hosts) {
            for (const to of f.hosts.filter((h) => h !== from)) {
                const out = f.exec(from.name, [
                    "ssh", "-i", path.join(f.dir, "client_key"), "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${knownHosts}`,
                    "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5", `root@${to.address}`, "ip -4 -o addr show dev eth0",
                ], 15_000);
                assert.match(out, new RegExp(`inet ${to.address.replace(/\./g, "\\.")}/24`), `${from.name} -> ${to.name}`);
            }
            const routes = f.exec(from.name, ["ip", "-4", "route", "show"]).trim().split("\n");
            assert.deepEqual(routes.map((r) => r.split(" ")[0]), [f.subnet], `${from.name}'s routes: ${routes.join("; ")}`);
        }
    });

    it("refuses a host whose key is not the one known (ssh's own client)", () => {
        assert.ok(fleet);
        const wrong = path.join(fleet.dir, "wrong_known_hosts");
        fs.writeFileSync(wrong, `${fleet.hosts[1].address} ${fleet.hosts[2].knownHostsLine.split(" ").slice(1).join(" ")}\n`);
        assert.throws(() => fleet!.exec("a", [
            "ssh", "-i", path.join(fleet!.dir, "client_key"), "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${wrong}`,
            "-o", "StrictHostKeyChecking=yes", `root@${fleet!.hosts[1].address}`, "true",
        ]), /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    });

    it("leaves no namespace, link or process behind", async () => {
        assert.ok(fleet);
        const started = fleet.spawn("b", ["sleep", "300"], path.join(fleet.dir, "sleep.log"));
        const namespaces = fleet.hosts.map((h) => h.ns);
        // `ip netns exec` enters the namespace just after the spawn: wait for it there (bounded)
        for (let i = 0; i < 100 && !fleet.pids("b").includes(started); i++) {
            await new Promise((r) => setTimeout(r, 20));
        }
        const sshds = fleet.hosts.flatMap((h) => fleet!.pids(h.name));
        assert.ok(sshds.includes(started) && sshds.length >= 4, `sshd in each namespace and the sleep: ${sshds.join(",")}`);
        const { dir } = fleet;
        await fleet.close();
        fleet = undefined;
        const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
        for (const ns of namespaces) {
            assert.ok(!left.includes(ns), `${ns} is gone`);
        }
        assert.ok(!execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).includes(`zb${process.pid}`), "the bridge is gone");
        for (const pid of [...sshds, started]) {
            assert.ok(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z"), `process ${pid} is gone`);
        }
        assert.ok(!fs.existsSync(dir));
    });

    it("a host with its own journald: its SSH sessions log to and read its journal only, journald names a unit from its cgroup; closing removes its cgroup", async () => {
        const machineJournal = fs.existsSync("/run/systemd/journal") ? fs.readdirSync("/run/systemd/journal").sort() : [];
        const f = await createNetnsHosts(["j", "k"], { journald: ["j"] });
        try {
            const j = f.host("j");
            assert.ok(j.journal && !f.host("k").journal);
            const ssh = (command: string) => f.exec("k", [
                "ssh", "-i", path.join(f.dir, "client_key"), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=5", `root@${j.address}`, command,
            ], 15_000);
            assert.equal(ssh("tail -1 /proc/self/cgroup").trim(), "0::/system.slice/ssh.service", "sshd runs as ssh.service in the host's cgroup namespace");
            const journalExec = path.join(__dirname, "../apps/hosts/journal-exec");
            // alive while journald reads its stream: journald reads its cgroup
            ssh(`${journalExec} hello.service hello sh -c 'echo hello from the unit; sleep 3'`);
            // gone before journald reads it (most likely): the unit comes from the stream's header, as systemd sends it
            ssh(`${journalExec} hello.service hello echo goodbye from the unit`);
            let entries: Record<string, string>[] = [];
            for (let i = 0; i < 50 && entries.length < 2; i++) {
                entries = ssh("journalctl -q --no-pager -o json -u hello.service").split("\n").filter(Boolean).map((l) => JSON.parse(l));
                await new Promise((r) => setTimeout(r, 100));
            }
            assert.deepEqual(entries.map((e) => [e.MESSAGE, e._SYSTEMD_UNIT, e._TRANSPORT, e.PRIORITY, e.SYSLOG_FACILITY]), [
                ["hello from the unit", "hello.service", "stdout", "6", "3"],
                ["goodbye from the unit", "hello.service", "stdout", "6", "3"],
            ]);
            assert.equal(entries[0]._SYSTEMD_CGROUP, "/system.slice/hello.service");
            assert.equal(f.exec("k", ["sh", "-c", "journalctl -q --no-pager -u hello.service | wc -l"]).trim(), "0", "another host does not see it");
            assert.deepEqual(fs.existsSync("/run/systemd/journal") ? fs.readdirSync("/run/systemd/journal").sort() : [], machineJournal, "this machine's /run/systemd/journal is untouched");
            assert.ok(fs.existsSync(j.journal.cgroup));
        } finally {
            await f.close();
        }
        assert.ok(!fs.existsSync(f.host("j").journal!.cgroup), "the host's cgroup is gone");
    });
});
