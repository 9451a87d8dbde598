// The hosts target's metric checks on the real engine, read from the team's own Prometheus by URL
// (zdr:prometheusUrl): three app hosts, an HAProxy host and a Prometheus host, each a network
// namespace with Debian's sshd (test/support/netns-hosts.ts); Debian's prometheus-node-exporter on
// each app host and Debian's Prometheus on its own host scraping them and each server's /metrics
// every second (test/support/netns-prometheus.ts). Each server's {instance} is its host's
// node_exporter (<address>:9100): the defaults host-cpu and host-memory read it. The test hosts share
// this machine's kernel, so node_exporter's CPU and memory are the same machine's on every host:
// here the defaults are read for real (the right series, per host, every step) but cannot tell a
// canary apart; the team's own checks on the app's process metrics (job "webshop", labelled with
// the server's name by the team's Prometheus) do. Under load with slow requests in flight: no
// failed request, HAProxy's retries, redispatches, connection and response errors at 0.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { HaproxyRuntime } from "../../src/haproxy/runtime";
import { startLoad } from "../../src/load/traffic";
import { readEvents } from "../../src/release/report";
import { runStage, StageResult } from "../../src/release/stages";
import { closeAllSsh } from "../../src/ssh/client";
import { errorCounters, readCounters, sampleCounters } from "../../src/haproxy/counters";
import { createNetnsHosts, hostsStackConfig, NetnsHosts } from "../support/netns-hosts";
import { NetnsHaproxy, startNetnsHaproxy } from "../support/netns-haproxy";
import { NetnsMonitoring, startNetnsMonitoring } from "../support/netns-prometheus";
import { freePort } from "../support/ports";
import { runZdrWatch } from "../support/zdr-watch";

const servers = ["web-1", "web-2", "web-3"];
const appPort = 9101;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A counter's increase over the bake so far for one server of job "webshop" (the team's own labels). */
const sinceFrom = (metric: string) => `(sum(${metric}{job="webshop",server="{server}"}) - sum(${metric}{job="webshop",server="{server}"} @ {from}))`;

/**
 * The team's own checks, on what the webshop exports about its process at /metrics. On hosts there
 * is no fresh baseline: the canary, a process seconds old, is compared with warm ones, and a fresh
 * Node process spends more CPU a request while its JIT compiles (docs/canary.md, "Compared with
 * what"). Healthy v2 canaries here were at 1.14x, 1.17x and 1.69x their warm v1 baseline's CPU a
 * request over the bake (the last failed a tolerance of 0.5 at load 13), cpuhog at 2.45x-2.71x:
 * the team allows 2x (tolerance 1). cpuhog spends twice the CPU by construction (bench/cpuhog-ratio.ts:
 * 2.01-2.08x), so against that 2x it failed only while it was young (session 11 saw it at 1.86x and
 * passed): the test's hog spends about 2.7x (v2+burn200, app/webshop/server.js; 2.72x in
 * bench/cpuhog-ratio.ts at load 1).
 */
const teamChecks = [
    {
        name: "app-cpu-per-request",
        query: `${sinceFrom("process_cpu_seconds_total")} / ${sinceFrom("webshop_requests_total")}`,
        better: "lower",
        tolerance: 1,
        warmupSeconds: 10,
    },
    { name: "app-memory", query: 'sum(process_resident_memory_bytes{job="webshop",server="{server}"})', better: "lower", tolerance: 0.5 },
];
const allChecks = ["host-cpu", "host-memory", "app-cpu-per-request", "app-memory"];

interface Check {
    name: string;
    verdict: string;
    detail: string;
}

describe("the hosts target: canary metric checks from the team's own Prometheus", function () {
    this.timeout(900_000);
    let fleet: NetnsHosts;
    let haproxy: NetnsHaproxy;
    let monitoring: NetnsMonitoring;
    let stack: Stack;
    let stateDir: string;
    let pgPid: number | undefined;
    let eventsFile: string;
    let runtime: HaproxyRuntime;
    const dbPassword = randomBytes(12).toString("base64url");
    const versions = (r: StageResult) => Object.fromEntries(r.servers.map((s) => [s.name, s.version]));
    const statuses = async () => (await runtime.serverStats("webshop")).map((s) => s.status);

    /** Resolves once the canary web-1 is back in HAProxy after its deploy (its bake starts), bounded. */
    async function reattached(since: number, timeoutMs = 300_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
            if (fs.existsSync(eventsFile) && readEvents(eventsFile, since).some((e) => e.server === "web-1" && e.step === "reattach" && e.phase === "end")) {
                return;
            }
            await sleep(100);
        }
        throw new Error(`web-1 not reattached within ${timeoutMs} ms`);
    }

    /** `zdr watch` on this stack as a user runs it (test/support/zdr-watch.ts). */
    const zdrWatch = (args: readonly string[], timeoutMs?: number) => runZdrWatch(stack.name, stateDir, args, timeoutMs);

    /**
     * Once web-1's bake has started (its judgement in the stack's state), `zdr watch` refuses a
     * server that is not baking (exit 2, naming the one that is), then watches the bake to its
     * verdict or `maxSeconds`.
     */
    async function watchBake(since: number, maxSeconds: number) {
        await reattached(since);
        let probe = await zdrWatch(["--canary", "web-9", "--max-seconds", "1"]);
        // the engine records the judgement when its step starts, just after the reattach
        for (let i = 0; i < 30 && /no canary is baking in stack/.test(probe.stderr); i++) {
            await sleep(1000);
            probe = await zdrWatch(["--canary", "web-9", "--max-seconds", "1"]);
        }
        assert.equal(probe.code, 2, probe.stderr);
        assert.match(probe.stderr, new RegExp(`zdr: --canary: web-9 is not baking in stack ${stack.name}; baking: web-1\n`));
        const w = await zdrWatch(["--every", "2", "--max-seconds", String(maxSeconds)], (maxSeconds + 120) * 1000);
        // the SSH key it read from the state is never printed
        const keyBody = fleet.privateKey.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
        assert.ok(!keyBody.some((l) => w.stdout.includes(l) || w.stderr.includes(l)), "no line of the SSH key printed");
        return w;
    }

    /** A watch's lines: requests per side read over SSH from HAProxy's log, each metric check per side from the team's Prometheus. */
    function assertWatchLines(w: { stdout: string; stderr: string }, version: string, maxSeconds: number) {
        assert.match(w.stdout, new RegExp(`^${stack.name}: watching web-1 \\(${version}\\) against web-2, web-3\n`), w.stdout + w.stderr);
        const lines = w.stdout.split("\n").filter((l) => l.startsWith("web-1 "));
        assert.ok(lines.length > 0, w.stdout + w.stderr);
        const line = new RegExp(`^web-1 \\d+ s/${maxSeconds} s: canary (\\d+) req \\S+ failed p50 [\\d.]+ p99 [\\d.]+ ms \\| baseline (\\d+) req .* \\| metrics host-cpu .*, host-memory .*, app-cpu-per-request .*, app-memory .* \\(fail at 0\\)$`);
        for (const l of lines) {
            assert.match(l, line);
        }
        const last = line.exec(lines[lines.length - 1]) as RegExpExecArray;
        assert.ok(Number(last[1]) > 0 && Number(last[2]) > 0, `requests of both sides counted: ${lines[lines.length - 1]}`);
        assert.ok(lines.some((l) => /app-memory [\d.]+[kMG]? vs [\d.]+[kMG]? -?[\d.]+/.test(l)), `app-memory read per side: ${lines.join("\n")}`);
        assert.match(w.stdout, /\nverdict: (pass|fail|undecided) after/);
    }

    /** One canary of `version` under load, what happens `during` its stage, its report and what the load and HAProxy saw. */
    async function canary(version: string, extra: Record<string, string> = {}, during?: (since: number) => Promise<void>) {
        const counters = sampleCounters(haproxy.masterSocket, "webshop", 300, await readCounters(haproxy.masterSocket, "webshop"));
        const shop = startLoad(haproxy.url, { rate: 100, connections: 6, maxSeconds: 300 });
        const slow = startLoad(haproxy.url, { rate: 4, connections: 8, maxSeconds: 300, paths: ["/slow?ms=1000"] });
        await sleep(1000);
        const since = Date.now();
        let output = "";
        // both settled: a failing `during` must not leave the up (and its stack lock) or the load running into the next test
        const [up, side] = await Promise.allSettled([runStage(stack, { name: `${version} canary`, config: { releaseVersion: version, canaryCount: "1", ...extra } }, (l) => (output += l)), during?.(since)]);
        await sleep(500);
        const [traffic, slowTraffic] = [await shop.stop(), await slow.stop()];
        const stats = await counters.stop();
        if (up.status === "rejected" || side.status === "rejected") {
            throw up.status === "rejected" ? up.reason : (side as PromiseRejectedResult).reason;
        }
        const result = up.value;
        const reportFile = path.join(projectRoot, ".zdr/local", stack.name, `judgements/web-1-${version}.json`);
        const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
        const evidence = JSON.parse(fs.readFileSync(reportFile.replace(/\.json$/, ".metrics.json"), "utf8"));
        const metric = (name: string) => report.checks.find((c: Check) => c.name === `metric: ${name}`) as Check;
        assert.ok(traffic.requests > 200 && slowTraffic.requests > 10, `the load ran: ${traffic.requests}, ${slowTraffic.requests} slow`);
        assert.equal(traffic.failed + slowTraffic.failed, 0, JSON.stringify([...traffic.failures, ...slowTraffic.failures].slice(0, 5)));
        assert.deepEqual(errorCounters(stats), { wretr: 0, wredis: 0, econ: 0, eresp: 0 }, JSON.stringify(stats.servers));
        const summary = `${version}: bake ${((report.to - report.from) / 1000).toFixed(1)} s, verdict ${report.verdict}; ${report.checks
            .filter((c: Check) => c.name.startsWith("metric: ") || c.verdict === "fail")
            .map((c: Check) => `${c.name} ${c.verdict} (${c.detail})`)
            .join("; ")}; ${traffic.requests} + ${slowTraffic.requests} slow requests, 0 failed; wretr/wredis/econ/eresp 0`;
        return { result, report, evidence, metric, summary, output };
    }

    async function rollBack() {
        const back = await runStage(stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0", canaryWarmupSeconds: "10" } });
        assert.ok(back.ok, back.error);
        assert.deepEqual(versions(back), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
    }

    before(async () => {
        fleet = await createNetnsHosts(["lb", "prom", ...servers]);
        haproxy = await startNetnsHaproxy(fleet, "lb", {
            name: "webshop",
            healthCheckPath: "/health",
            servers: servers.map((name) => ({ name, address: fleet.host(name).address, port: appPort })),
        });
        runtime = new HaproxyRuntime(haproxy.adminSocket);
        monitoring = await startNetnsMonitoring(fleet, "prom", servers, appPort);
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
        const name = `e2e-hosts-metrics-${process.pid}`;
        eventsFile = path.join(projectRoot, ".zdr/local", name, "events.jsonl");
        stack = await createStack(projectRoot, name, stateDir);
        await stack.setConfig("zdr:dbPassword", { value: dbPassword, secret: true });
        await stack.setConfig("zdr:sshPrivateKey", { value: fleet.privateKey, secret: true });
        // a list of objects, set by path as `pulumi config set --path` does
        await stack.setAllConfig(Object.fromEntries(teamChecks.flatMap((c, i) => Object.entries(c).map(([k, v]) => [`zdr:canaryMetrics[${i}].${k}`, { value: String(v) }]))), true);
        const first = await runStage(stack, {
            name: "v1 everywhere",
            config: {
                ...hostsStackConfig(fleet, { servers, lb: "lb", haproxySocket: haproxy.adminSocket, appPort, dbPort: pgPort }),
                haproxyLogFile: haproxy.logFile,
                bakeSeconds: "60",
                // the team's Prometheus, from this machine over the hosts' network
                prometheusUrl: monitoring.url,
                // the request checks are tested where they are the subject (canary-*.test.ts): a
                // Node canary just started on this busy machine can be slower than the warm baseline
                // for seconds (hosts-app-log.test.ts); the metric checks are what this file tests
                canaryWarmupSeconds: "10",
                canaryLatencyFloorMs: "20",
            },
        });
        assert.ok(first.ok, first.error);
        assert.deepEqual(versions(first), { "web-1": "v1", "web-2": "v1", "web-3": "v1" });
        assert.deepEqual(await statuses(), ["UP", "UP", "UP"]);
        // every host's node_exporter and every server's /metrics scraped by the team's Prometheus
        let up: Record<string, boolean> = {};
        for (let i = 0; i < 100 && Object.values(up).filter(Boolean).length < 6; i++) {
            up = await monitoring.targetsUp();
            await sleep(200);
        }
        assert.deepEqual(up, Object.fromEntries(servers.flatMap((s) => [[`${s} node`, true], [`${s} webshop`, true]])));
    });

    after(async () => {
        if (stack) {
            await stack.cancel().catch(() => undefined);
            await stack.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
        }
        await monitoring?.close();
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

    it("zdr watch on the stack with no canary baking: exit 2, saying so", async () => {
        const w = await zdrWatch(["--max-seconds", "5"]);
        assert.equal(w.code, 2, w.stdout + w.stderr);
        assert.match(w.stderr, new RegExp(`^zdr: no canary is baking in stack ${stack.name}: no canary judgement is in progress`));
    });

    it("refuses a query Prometheus cannot parse at preview, naming the key and the check, with Prometheus' own error", async () => {
        await stack.setConfig("zdr:canaryMetrics[1].query", { value: "sum(process_resident_memory_bytes{job=\"webshop\"}" }, true);
        try {
            const preview = await stack.preview().then(
                () => "",
                (e: Error) => e.message,
            );
            assert.match(preview, /zdr:canaryMetrics: the query of "app-memory" is not valid PromQL: could not parse expression: 1:\d+: parse error: unclosed left parenthesis/);
        } finally {
            await stack.setConfig("zdr:canaryMetrics[1].query", { value: teamChecks[1].query }, true);
        }
    });

    it("passes a healthy v2 canary on every metric check, each read per host from the team's Prometheus; zdr watch shows both sides of each as it bakes", async () => {
        let watched: Awaited<ReturnType<typeof watchBake>> | undefined;
        const { result, report, evidence, metric, summary, output } = await canary("v2", {}, async (since) => void (watched = await watchBake(since, 40)));
        console.log(`      ${summary}`);
        const w = watched as NonNullable<typeof watched>;
        console.log(`      zdr watch: exit ${w.code}; last line ${w.stdout.split("\n").filter((l) => l.startsWith("web-1 ")).pop()}`);
        assertWatchLines(w, "v2", 40);
        // a healthy canary: passed, or undecided at --max-seconds; never failed
        assert.ok(w.code === 0 || w.code === 3, `exit ${w.code}: ${w.stdout.slice(-3000)}${w.stderr}`);
        assert.match(w.stdout, w.code === 0 ? /\nverdict: pass after/ : /\nverdict: undecided after/);
        assert.doesNotMatch(w.stdout, /^metric: \S+ +fail /m);
        assert.ok(result.ok, result.error);
        // the request checks may still be undecided at the bake's end (canary-metrics.test.ts)
        assert.ok(["pass", "inconclusive"].includes(report.verdict), summary);
        for (const name of allChecks) {
            assert.equal(metric(name).verdict, "pass", `${name}: ${metric(name).detail}`);
        }
        // read from the team's Prometheus, the canary against web-2 and web-3, each host's node_exporter its {instance}
        assert.equal(evidence.prometheus, monitoring.url);
        assert.deepEqual(evidence.baseline, ["web-2", "web-3"]);
        const hostCpu = evidence.checks.find((c: { name: string }) => c.name === "host-cpu");
        assert.ok(hostCpu.points.length > 20 && hostCpu.points.every((p: { canary: number; baseline: Record<string, number> }) => p.canary > 0 && Object.keys(p.baseline).length === 2), "host-cpu read for the canary and both baseline hosts");
        assert.match(output, /\| metrics host-cpu .*, host-memory [\d.]+[MG] vs [\d.]+[MG] -?[\d.]+, app-cpu-per-request .*, app-memory .* \(fail at 0\)/);
        await rollBack();
    });

    it("fails a canary whose memory grows ~5 MB/s on the team's app-memory check, within the bake, no request check failing; zdr watch fails it too (exit 1)", async () => {
        let watched: Awaited<ReturnType<typeof watchBake>> | undefined;
        const { result, report, metric, summary } = await canary("leaky", {}, async (since) => void (watched = await watchBake(since, 60)));
        console.log(`      ${summary}`);
        const w = watched as NonNullable<typeof watched>;
        console.log(`      zdr watch: exit ${w.code}; last line ${w.stdout.split("\n").filter((l) => l.startsWith("web-1 ")).pop()}`);
        assertWatchLines(w, "leaky", 60);
        assert.equal(w.code, 1, w.stdout.slice(-3000) + w.stderr);
        assert.match(w.stdout, /\nverdict: fail after/);
        assert.match(w.stdout, /^metric: app-memory +fail /m);
        assert.equal(result.ok, false);
        assert.match(result.error ?? "", /canary web-1 \(leaky\) failed its judgement against web-2, web-3/);
        assert.match(result.error ?? "", /metric: app-memory +fail/);
        assert.equal(metric("app-memory").verdict, "fail", metric("app-memory").detail);
        for (const c of report.checks as Check[]) {
            if (!c.name.startsWith("metric: ")) {
                assert.notEqual(c.verdict, "fail", `${c.name}: ${c.detail}`);
            }
        }
        assert.ok(report.to - report.from < 60_000, "decided before the end of the bake");
        // left out of HAProxy at once (its process kept for inspection)
        assert.equal((await runtime.serverStats("webshop")).find((s) => s.server === "web-1")?.status, "MAINT");
        await rollBack();
    });

    it("fails a canary spending about 2.7 times the CPU per request on the team's app-cpu-per-request check (2x allowed), its requests' latency left out", async () => {
        // as in canary-metrics.test.ts: twice the CPU keeps the latency only with a core to spare;
        // on this busy machine the latency and tail checks can be right to fail it first, and what
        // this test shows is the CPU check, so the stage leaves them out (errors still counted)
        const { result, report, metric, summary } = await canary("v2+burn200", { canaryWarmupSeconds: "60" });
        console.log(`      ${summary}`);
        assert.equal(result.ok, false);
        assert.equal(metric("app-cpu-per-request").verdict, "fail", metric("app-cpu-per-request").detail);
        assert.notEqual(metric("app-memory").verdict, "fail");
        for (const c of report.checks as Check[]) {
            if (!c.name.startsWith("metric: ")) {
                assert.notEqual(c.verdict, "fail", `${c.name}: ${c.detail}`);
            }
        }
        await rollBack();
    });

    it("Prometheus stopped mid-bake: every metric check undecided with why, never a pass; the release goes on, saying so", async () => {
        let stoppedAt = 0;
        const { result, report, metric, summary } = await canary("v2", {}, async (since) => {
            await reattached(since);
            await sleep(15_000);
            stoppedAt = Date.now();
            await monitoring.stopPrometheus();
        });
        console.log(`      ${summary}`);
        await monitoring.startPrometheus();
        assert.ok(stoppedAt > report.from && stoppedAt < report.to, "stopped during the bake");
        assert.ok(result.ok, result.error);
        assert.equal(report.verdict, "inconclusive", summary);
        for (const name of allChecks) {
            assert.equal(metric(name).verdict, "undecided", `${name}: ${metric(name).detail}`);
            assert.match(metric(name).detail, /undecided: Prometheus not read after \S+: the bake's last \d+ s unread; reads failing since \S+ \(\d+\): /, name);
        }
        await rollBack();
    });

    it("a host no longer scraped mid-bake (its node_exporter stopped): its host checks undecided with why, the app's checks judged", async () => {
        const { result, report, metric, summary } = await canary("v2", {}, async (since) => {
            await reattached(since);
            await sleep(15_000);
            await monitoring.stopNodeExporter("web-1");
        });
        console.log(`      ${summary}`);
        await monitoring.startNodeExporter("web-1");
        assert.ok(result.ok, result.error);
        assert.equal(report.verdict, "inconclusive", summary);
        for (const name of ["host-cpu", "host-memory"]) {
            assert.equal(metric(name).verdict, "undecided", `${name}: ${metric(name).detail}`);
            // stopped before host-cpu's warm-up ended (no judged step has the canary's value) or after (its values end early)
            assert.match(metric(name).detail, /undecided: no value for the canary web-1 (after \S+, \d+ s before the bake's end|at any step judged \(\d+ missing after the warm-up:) .*no longer scraped, or its series ended\)/, name);
        }
        for (const name of ["app-cpu-per-request", "app-memory"]) {
            assert.notEqual(metric(name).verdict, "undecided", `${name}: ${metric(name).detail}`);
        }
        await rollBack();
    });
});
