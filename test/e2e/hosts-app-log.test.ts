// The canary's own log lines on the hosts target, on the real engine: three app hosts and an
// HAProxy host as network namespaces with sshd (test/support/netns-hosts.ts), the webshop started
// by the team's deploy command. First its output goes to a file per server (appLogFile); then the
// team moves it under systemd: each app host runs its own systemd-journald (the real one, with
// the host's own cgroup namespace and /run), the app runs in the cgroup /system.slice/webshop.service
// with its stdout and stderr on journald's stdout stream, and the judge reads it with the real
// journalctl (appLogUnit: `journalctl -u webshop.service -o json`, after the cursor of the last
// entry read). What systemd as PID 1 would do and does not here: put the process in its unit's
// cgroup and connect its output to journald's stdout stream with systemd's stream header (the
// deploy script does both with test/apps/hosts/journal-exec); journald itself names the unit
// (_SYSTEMD_UNIT) from that cgroup. The judge reads each judged
// server's log over that server's SSH connection every second of the bake.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { startLoad, Traffic } from "../../src/load/traffic";
import { runStage, Stage, StageResult } from "../../src/release/stages";
import { closeAllSsh, sshReadOutput } from "../../src/ssh/client";
import type { SshHost } from "../../contract/ssh";
import { defaultJournalLimits, JournalMirror } from "../../targets/hosts/evidence/app-log";
import { CounterReport, errorCounters, readCounters, sampleCounters } from "../../src/haproxy/counters";
import { createNetnsHosts, hostsStackConfig, NetnsHosts } from "../support/netns-hosts";
import { NetnsHaproxy, startNetnsHaproxy } from "../support/netns-haproxy";
import { freePort } from "../support/ports";

const servers = ["web-1", "web-2", "web-3"];
const appPort = 9101;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const template = "log: ERROR loyalty points not credited for request <num>: points service refused";

describe("the hosts target: a canary judged on its own log file on its host", function () {
    this.timeout(600_000);
    let fleet: NetnsHosts;
    let haproxy: NetnsHaproxy;
    let stack: Stack;
    let stateDir: string;
    let pgPid: number | undefined;
    let runtime: HaproxyRuntime;
    const dbPassword = randomBytes(12).toString("base64url");
    const versions = (r: StageResult) => Object.fromEntries(r.servers.map((s) => [s.name, s.version]));
    const statuses = async () => (await runtime.serverStats("webshop")).map((s) => s.status);

    /** One stage under the shop's load and slow pages in flight, HAProxy's counters sampled throughout. */
    async function underLoad(stage: Stage): Promise<{ result: StageResult; shop: Traffic; slow: Traffic; counters: CounterReport; started: number }> {
        const counters = sampleCounters(haproxy.masterSocket, "webshop", 300, await readCounters(haproxy.masterSocket, "webshop"));
        const shop = startLoad(haproxy.url, { rate: 120, connections: 6, maxSeconds: 300 });
        const slow = startLoad(haproxy.url, { rate: 6, connections: 12, maxSeconds: 300, paths: ["/slow?ms=1500"] });
        await sleep(2000);
        const started = Date.now();
        const result = await runStage(stack, stage);
        await sleep(500);
        const [shopTraffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        return { result, shop: shopTraffic, slow: slowTraffic, counters: await counters.stop(), started };
    }

    before(async () => {
        fleet = await createNetnsHosts(["lb", ...servers], { journald: servers });
        haproxy = await startNetnsHaproxy(fleet, "lb", {
            name: "webshop",
            healthCheckPath: "/health",
            servers: servers.map((name) => ({ name, address: fleet.host(name).address, port: appPort })),
        });
        runtime = new HaproxyRuntime(haproxy.adminSocket);
        // PostgreSQL on this machine, on its address on the hosts' network only
        const pgPort = await freePort();
        const pgData = path.join(fleet.dir, "pgdata");
        pgPid = spawn(path.join(projectRoot, "scripts/local/postgres"), [pgData, String(pgPort)], {
            detached: true,
            stdio: ["ignore", fs.openSync(path.join(fleet.dir, "postgres.log"), "a"), fs.openSync(path.join(fleet.dir, "postgres.log"), "a")],
            env: { ...process.env, ZDR_DB_PASSWORD: dbPassword, ZDR_DB_USER: "webshop", ZDR_DB_NAME: "webshop", ZDR_DB_LISTEN: fleet.gateway, ZDR_DB_ALLOW: fleet.subnet },
        }).pid;
        fs.writeFileSync(path.join(fleet.dir, "app.env"), [
            `export ROOT=${projectRoot}`, `export APP_PORT=${appPort}`, `export PGHOST=${fleet.gateway}`, `export PGPORT=${pgPort}`,
            "export PGUSER=webshop", "export PGDATABASE=webshop", `export PGPASSWORD=${dbPassword}`, "",
        ].join("\n"), { mode: 0o600 });

        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(projectRoot, `e2e-hosts-app-log-${process.pid}`, stateDir);
        await stack.setConfig("zdr:dbPassword", { value: dbPassword, secret: true });
        await stack.setConfig("zdr:sshPrivateKey", { value: fleet.privateKey, secret: true });
        const first = await runStage(stack, {
            name: "v1 everywhere",
            config: {
                ...hostsStackConfig(fleet, { servers, lb: "lb", haproxySocket: haproxy.adminSocket, appPort, dbPort: pgPort, logPerServer: true }),
                haproxyLogFile: haproxy.logFile,
                appLogFile: `${fleet.dir}/logs/{server}.log`,
                bakeSeconds: "60",
                // This file judges the log lines: a freshly started canary on this loaded 2-core
                // machine can be slower than the warm baseline by a few ms for seconds (a healthy
                // v2 failed on "+65%", p50 8 ms vs 3 ms, in one run). The team's warm-up setting
                // leaves the canary's first 10 s out of the latency and tail checks; errors and
                // log templates count from its first request.
                canaryWarmupSeconds: "10",
                // and a latency check that fails only on more than 20 ms slower: past its warm-up a
                // healthy v3 under journald still failed on "+57%..+186%" (p50 6 ms vs 4 ms) in one
                // run at load 12. The latency check is tested where it is the subject (canary-*.test.ts).
                canaryLatencyFloorMs: "20",
            },
        });
        assert.ok(first.ok, first.error);
        assert.deepEqual(versions(first), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
    });

    after(async () => {
        if (stack) {
            await stack.cancel().catch(() => undefined);
            await stack.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
        }
        if (pgPid) {
            try {
                process.kill(pgPid, "SIGINT");
            } catch {
                // gone
            }
            await sleep(1000);
        }
        await closeAllSsh();
        await fleet?.close();
        if (stateDir) {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    /** Resources with the private key or the database password in plain text in the checkpoint file (exportStack would decrypt them). */
    function plainSecrets(): string[] {
        const files = fs.readdirSync(stateDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(`${stack.name}.json`));
        assert.ok(files.length > 0, `the checkpoint in ${stateDir}`);
        const deployment = (JSON.parse(fs.readFileSync(path.join(stateDir, files[0]), "utf8")) as { checkpoint: { latest: { resources: { urn: string; inputs?: unknown; outputs?: unknown }[] } } }).checkpoint.latest;
        const secrets = [dbPassword, ...fleet.privateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))];
        return deployment.resources.flatMap((r) => (["inputs", "outputs"] as const).filter((k) => secrets.some((x) => JSON.stringify(r[k] ?? {}).includes(x))).map((k) => `${r.urn} ${k}`));
    }

    /**
     * The logfault canary's stage failed on its log template alone, under load with slow pages in
     * flight: every response 200, HAProxy's retries, redispatches and errors at 0; its report
     * (written by this stage) names the template, first seen within the bake, on the canary only.
     */
    function failedOnTemplateAlone(s: Awaited<ReturnType<typeof underLoad>>) {
        assert.equal(s.result.ok, false);
        assert.match(s.result.error ?? "", /canary web-1 \(logfault\) failed its judgement against web-2, web-3 after [\d.]+ s \(of at most 60 s\):/);
        assert.equal(s.shop.failed + s.slow.failed, 0, `every response 200: ${JSON.stringify([...s.shop.failures, ...s.slow.failures])}`);
        assert.deepEqual(errorCounters(s.counters), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(s.counters.servers));
        const dir = path.join(projectRoot, ".zdr/local", stack.name, "judgements");
        const report = JSON.parse(fs.readFileSync(path.join(dir, "web-1-logfault.json"), "utf8"));
        assert.ok(report.from >= s.started, "a judgement of this stage, not an earlier one");
        const failed = report.checks.filter((c: { verdict: string }) => c.verdict === "fail").map((c: { name: string }) => c.name);
        assert.ok(failed.includes(`new-error: ${template}`), JSON.stringify(report.checks, null, 1));
        assert.ok(!failed.includes("error-rate"), "no request failed more than the baseline's: the log line failed it");
        const t = report.appLogTemplates.find((x: { signature: string }) => x.signature === template);
        assert.ok(t && t.canaryLines > 0 && t.baselineLines === 0, JSON.stringify(report.appLogTemplates));
        assert.ok(t.canaryFirstSeen >= report.from && t.canaryFirstSeen <= report.to, "first seen within the bake");
        return { dir, report, t };
    }

    /** A healthy canary's stage went through under load: nothing failed, counters at 0, no new template in its report. */
    function passedWithNoNewTemplate(s: Awaited<ReturnType<typeof underLoad>>, release: string) {
        assert.ok(s.result.ok, s.result.error);
        assert.equal(s.shop.failed + s.slow.failed, 0, JSON.stringify([...s.shop.failures, ...s.slow.failures]));
        assert.deepEqual(errorCounters(s.counters), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(s.counters.servers));
        const report = JSON.parse(fs.readFileSync(path.join(projectRoot, ".zdr/local", stack.name, `judgements/web-1-${release}.json`), "utf8"));
        assert.notEqual(report.verdict, "fail");
        assert.deepEqual(report.checks.filter((c: { name: string }) => c.name.startsWith("new-error")).map((c: { name: string }) => c.name), []);
        return report;
    }

    it("fails a canary that writes a new error line to its log file while every response is 200, on that template alone, and leaves it out", async () => {
        const s = await underLoad({ name: "logfault canary", config: { releaseVersion: "logfault", canaryCount: "1" } });
        const { dir, report, t } = failedOnTemplateAlone(s);
        // the judge read mirrors of each judged server's own file on its host
        for (const server of servers) {
            const mirror = fs.readFileSync(path.join(dir, `web-1-logfault.${server}.app.log`), "utf8");
            assert.ok(mirror.length > 0 && fs.readFileSync(path.join(fleet.dir, "logs", `${server}.log`), "utf8").includes(mirror.split("\n")[0]), `${server}'s mirror is of its own log`);
        }
        assert.deepEqual(await statuses(), ["MAINT", "UP", "UP"]);
        assert.deepEqual(plainSecrets(), [], "the failed judgement's SSH connections (its hostAppLogs) are secrets in the state");
        console.log(`      logfault canary on the hosts: failed after ${report.decidedAfter} canary requests, ${((report.to - report.from) / 1000).toFixed(1)} s into a 60 s bake; template logged ${t.canaryLines} times on web-1, 0 on web-2/web-3; shop ${s.shop.requests} requests, slow ${s.slow.requests}, 0 failed; counters ${JSON.stringify(errorCounters(s.counters))}`);

        const back = await runStage(stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
        assert.ok(back.ok, back.error);
        assert.deepEqual(versions(back), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
    });

    it("lets a healthy canary through: its log lines are read and no template is new", async () => {
        const s = await underLoad({ name: "v2 canary", config: { releaseVersion: "v2", canaryCount: "1", bakeSeconds: "20" } });
        const report = passedWithNoNewTemplate(s, "v2");
        assert.deepEqual(versions(s.result), { "web-1": "v2", "web-2": "v1", "web-3": "v1" });
        assert.ok(fs.statSync(path.join(projectRoot, ".zdr/local", stack.name, "judgements/web-1-v2.web-1.app.log")).size > 0, "the canary's log was mirrored from its host");
        console.log(`      v2 canary on the hosts: ${report.verdict} after ${((report.to - report.from) / 1000).toFixed(1)} s (${report.decidedAfter ?? "-"} canary requests); shop ${s.shop.requests} requests, 0 failed`);
    });

    /** The unit's entries on a host as the real journalctl prints them (-o json), by cursor. */
    function journal(server: string, unit: string): { cursor: string; fields: Record<string, string> }[] {
        const out = fleet.exec(server, ["journalctl", "-q", "--no-pager", "-o", "json", "-u", unit], 60_000);
        return out.split("\n").filter(Boolean).map((l) => ({ cursor: JSON.parse(l).__CURSOR, fields: JSON.parse(l) }));
    }

    /** The mirror's entries are the journal's from its first to its last, each once, in order: none read twice, none lost. */
    function assertMirrorIsJournal(mirrorFile: string, server: string, unit: string): number {
        const mirrored = fs.readFileSync(mirrorFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).__CURSOR as string);
        assert.ok(mirrored.length > 0, `${server}'s mirror ${mirrorFile} has entries`);
        assert.equal(new Set(mirrored).size, mirrored.length, `${server}: no entry read twice`);
        const all = journal(server, unit).map((e) => e.cursor);
        const first = all.indexOf(mirrored[0]);
        assert.ok(first >= 0, `${server}: the mirror's first entry is in the host's journal`);
        assert.deepEqual(mirrored, all.slice(first, first + mirrored.length), `${server}: the mirror is the journal's entries from its first on, none lost`);
        return mirrored.length;
    }

    describe("the same shop under systemd: its lines in each host's own journald, read with journalctl -u", () => {
        const unit = "webshop.service";
        const mirrorOf = (release: string, server: string) => path.join(projectRoot, ".zdr/local", stack.name, "judgements", `web-1-${release}.${server}.app.log`);

        before(async () => {
            // the team's deploy now starts the shop as the unit webshop.service (a switch of the test's deploy script)
            fs.writeFileSync(path.join(fleet.dir, "journal-unit"), unit);
            const promote = await runStage(stack, { name: "promote v2 under systemd", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0", appLogFile: "", appLogUnit: unit } });
            assert.ok(promote.ok, promote.error);
            assert.deepEqual(versions(promote), { "web-1": "v2", "web-2": "v2", "web-3": "v2" });
            for (const server of ["web-2", "web-3"]) {
                const listening = journal(server, unit).filter((e) => e.fields.MESSAGE.includes('"listening"'));
                assert.ok(listening.length > 0, `${server}'s v2 logged to its own journal`);
                const e = listening[listening.length - 1].fields;
                // journald set these itself: the unit from the sender's cgroup, the transport from its socket
                assert.deepEqual([e._SYSTEMD_UNIT, e._SYSTEMD_CGROUP, e._TRANSPORT, e._COMM], [unit, `/system.slice/${unit}`, "stdout", "node"]);
            }
        });

        it("fails a canary that writes a new error line to its journal while every response is 200, and leaves it out", async () => {
            const s = await underLoad({ name: "logfault canary under systemd", config: { releaseVersion: "logfault", canaryCount: "1", bakeSeconds: "60" } });
            // judged anew: web-1 failed as logfault in the file's first test, but this is another deployment
            assert.doesNotMatch(s.result.error ?? "", /the verdict stands/);
            const { report, t } = failedOnTemplateAlone(s);
            // the lines came from the canary's journal: journald's entries, the unit named by journald
            const canaryErrors = fs.readFileSync(mirrorOf("logfault", "web-1"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
                .filter((e) => e.MESSAGE.startsWith("ERROR loyalty points not credited"));
            assert.ok(canaryErrors.length >= t.canaryLines, `${canaryErrors.length} error entries mirrored, ${t.canaryLines} counted`);
            assert.ok(canaryErrors.every((e) => e._SYSTEMD_UNIT === unit && e._TRANSPORT === "stdout" && e.PRIORITY === "6"), "journald's own fields (info: systemd's default level for a unit's output)");
            const lines = Object.fromEntries(servers.map((server) => [server, assertMirrorIsJournal(mirrorOf("logfault", server), server, unit)]));
            assert.deepEqual(await statuses(), ["MAINT", "UP", "UP"]);
            assert.deepEqual(plainSecrets(), [], "the failed judgement's SSH connections (its hostAppLogs) are secrets in the state");
            console.log(`      logfault canary under systemd: failed after ${report.decidedAfter} canary requests, ${((report.to - report.from) / 1000).toFixed(1)} s into a 60 s bake; template logged ${t.canaryLines} times on web-1, 0 on web-2/web-3; journal entries mirrored ${JSON.stringify(lines)}, each once, none lost; shop ${s.shop.requests} requests, slow ${s.slow.requests}, 0 failed; counters ${JSON.stringify(errorCounters(s.counters))}`);

            const back = await runStage(stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
            assert.ok(back.ok, back.error);
            assert.deepEqual(versions(back), { "web-1": "v2", "web-2": "v2", "web-3": "v2" });
            assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
        });

        it("lets a healthy canary through: its journal is read and no template is new", async () => {
            const s = await underLoad({ name: "v3 canary under systemd", config: { releaseVersion: "v3", canaryCount: "1", bakeSeconds: "20" } });
            const report = passedWithNoNewTemplate(s, "v3");
            assert.deepEqual(versions(s.result), { "web-1": "v3", "web-2": "v2", "web-3": "v2" });
            const lines = Object.fromEntries(servers.map((server) => [server, assertMirrorIsJournal(mirrorOf("v3", server), server, unit)]));
            console.log(`      v3 canary under systemd: ${report.verdict} after ${((report.to - report.from) / 1000).toFixed(1)} s (${report.decidedAfter ?? "-"} canary requests); journal entries mirrored ${JSON.stringify(lines)}; shop ${s.shop.requests} requests, 0 failed; counters ${JSON.stringify(errorCounters(s.counters))}`);
        });

        it("reads a burst in bounded polls (5,000 entries, 4 MiB), from a unit with no entry at the first poll, each entry once", async () => {
            const host = fleet.host("web-3");
            const ssh: SshHost = { host: host.address, user: "root", privateKey: fleet.privateKey, knownHosts: [host.knownHostsLine], label: "web-3" };
            const local = path.join(fleet.dir, "burst.journal");
            const m = new JournalMirror((command, maxBytes) => sshReadOutput(ssh, command, { timeoutMs: 30_000, maxBytes }), "burst.service", local, defaultJournalLimits, "web-3");
            assert.equal(await m.poll(), 0, "the unit has logged nothing yet");
            /** Runs argv as the unit burst.service, its output on journald's stream; waits until the journal has `lines` more of its entries. */
            const count = () => Number(fleet.exec("web-3", ["sh", "-c", "journalctl -q --no-pager -o json --output-fields=_PID -u burst.service | wc -l"]).trim());
            const burst = async (argv: string[], lines: number) => {
                const before = count();
                fleet.exec("web-3", [path.join(projectRoot, "test/apps/hosts/journal-exec"), "burst.service", "burst", ...argv], 60_000);
                for (let i = 0; i < 100 && count() < before + lines; i++) {
                    await sleep(200);
                }
                assert.equal(count(), before + lines, "journald kept every line of the burst");
            };
            /** Polls until caught up (at most 10 polls); each poll's entries and bytes. */
            const drain = async () => {
                const polls: { entries: number; bytes: number; ms: number }[] = [];
                for (let i = 0; i < 10; i++) {
                    const size = fs.statSync(local).size;
                    const t = Date.now();
                    const entries = await m.poll();
                    polls.push({ entries, bytes: fs.statSync(local).size - size, ms: Date.now() - t });
                    if (entries === 0) {
                        return polls;
                    }
                }
                assert.fail(`not caught up in 10 polls: ${JSON.stringify(polls)}`);
            };
            const messages = () => fs.readFileSync(local, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).MESSAGE as string);

            await burst(["seq", "-f", "burst line %.0f", "0", "11999"], 12_000);
            const short = await drain();
            const longest = Math.max(...fs.readFileSync(local, "utf8").split("\n").map((l) => l.length + 1));
            assert.ok(longest * defaultJournalLimits.maxEntries < defaultJournalLimits.maxBytes, `entries of at most ${longest} bytes: 5,000 of them are under 4 MiB, the entry bound cuts first`);
            assert.deepEqual(short.map((p) => p.entries), [5000, 5000, 2000, 0], JSON.stringify(short));
            assert.deepEqual(messages(), Array.from({ length: 12_000 }, (_, i) => `burst line ${i}`), "every entry once, in order, the first included");

            // 3,000 entries of about 3 KB each (2,000 bytes of message): the byte bound cuts first
            await burst(["awk", 'BEGIN { s = sprintf("%2000s", ""); gsub(/ /, "x", s); for (i = 0; i < 3000; i++) print "wide line " i " " s }'], 3000);
            const wide = await drain();
            assert.ok(wide.every((p) => p.bytes <= defaultJournalLimits.maxBytes && p.entries < defaultJournalLimits.maxEntries), JSON.stringify(wide));
            assert.ok(wide.length >= 3, `more than one poll: ${JSON.stringify(wide)}`);
            const all = messages();
            assert.equal(all.length, 15_000);
            assert.deepEqual(all.slice(12_000).map((x) => x.split(" ").slice(0, 3).join(" ")), Array.from({ length: 3000 }, (_, i) => `wide line ${i}`), "every wide entry once, in order, none cut");
            assertMirrorIsJournal(local, "web-3", "burst.service");
            console.log(`      burst on web-3's journald: 12,000 entries read in polls of ${short.map((p) => p.entries).join(", ")} (${short.map((p) => `${(p.bytes / 1024).toFixed(0)} KiB in ${p.ms} ms`).join(", ")}); 3,000 entries of ~3 KB in polls of ${wide.map((p) => `${p.entries} (${(p.bytes / 1048576).toFixed(2)} MiB, ${p.ms} ms)`).join(", ")}`);
        });
    });
});
