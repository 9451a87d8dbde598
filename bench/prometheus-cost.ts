// What the local default's Prometheus costs a stack: the time from its start to ready (/-/ready),
// its resident memory at ready and after scraping for a while, and the CPU it spent, with the
// configuration the stack writes (prometheus-config.ts: 1 s scrapes of HAProxy's exporter, the
// process exporter and each server's metricsPath). The targets here are the process exporter
// (real, scripts/local/process-metrics.js, watching three processes that listen on loopback) and
// three minimal /metrics endpoints; HAProxy's exporter is left out (a target refused is a cheap
// scrape): the figures are Prometheus' own and the process exporter's, on this machine as it is.
//   npx ts-node --transpile-only bench/prometheus-cost.ts [runs=3] [scrapeSeconds=30]
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { localMonitoring, prometheusArgv, prometheusConfig, scrapeTargetFile, scrapeTargetJson, serverInstance, serverTargetsDir, targetDirs } from "../src/monitors/prometheus-config";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticks = 100;

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
}

/** Three consecutive free ports (Prometheus, HAProxy's exporter, the process exporter). */
async function freeRun(): Promise<number> {
    for (let i = 0; i < 50; i++) {
        const p = 20000 + Math.floor(Math.random() * 40000);
        const ok = await Promise.all([0, 1, 2].map((k) => new Promise<boolean>((r) => {
            const s = net.createServer();
            s.once("error", () => r(false));
            s.listen(p + k, "127.0.0.1", () => s.close(() => r(true)));
        })));
        if (ok.every(Boolean)) {
            return p;
        }
    }
    throw new Error("no three free ports in 50 tries");
}

function usage(pid: number): { rssMb: number; cpuSeconds: number } {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return { rssMb: rss ? Number(rss[1]) / 1024 : 0, cpuSeconds: (Number(f[11]) + Number(f[12])) / ticks };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (let i = 0; i < 2000 && Date.now() - started < timeoutMs; i++) {
        if (child.exitCode !== null) {
            throw new Error(`exited ${child.exitCode}`);
        }
        const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
        if (ok) {
            return Date.now() - started;
        }
        await sleep(50);
    }
    throw new Error(`not ready within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.pid === undefined) {
        return;
    }
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(15000)]);
    if (child.exitCode === null) {
        child.kill("SIGKILL");
        await exited;
    }
}

async function once(scrapeSeconds: number): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-prom-cost-"));
    const apps: http.Server[] = [];
    const children: ChildProcess[] = [];
    try {
        const ports: Record<string, number> = {};
        for (const name of ["web-1", "web-2", "web-3"]) {
            const port = await freePort();
            const app = http.createServer((_req, res) => res.end("webshop_requests_total 1\nwebshop_orders_total 1\n"));
            await new Promise<void>((r) => app.listen(port, "127.0.0.1", r));
            apps.push(app);
            ports[name] = port;
        }
        const m = localMonitoring(await freeRun());
        for (const folder of targetDirs(dir)) {
            fs.mkdirSync(folder, { recursive: true });
        }
        for (const [server, port] of Object.entries(ports)) {
            fs.writeFileSync(scrapeTargetFile(serverTargetsDir(dir), server), scrapeTargetJson(server, serverInstance(port)));
        }
        fs.writeFileSync(path.join(dir, "prometheus", "prometheus.yml"), prometheusConfig(m, targetDirs(dir), "/metrics"));
        const exporter = spawn("node", [path.join(__dirname, "../scripts/local/process-metrics.js"), `127.0.0.1:${m.processMetricsPort}`, ...targetDirs(dir)], { stdio: "ignore" });
        children.push(exporter);
        const [cmd, ...args] = prometheusArgv(m, dir);
        const prom = spawn(cmd, args, { stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "prometheus.log"), "a")] });
        children.push(prom);
        const readyMs = await waitReady(`${m.prometheusUrl}/-/ready`, prom, 120000);
        const atReady = usage(prom.pid as number);
        const exporterAtReady = usage(exporter.pid as number);
        await sleep(scrapeSeconds * 1000);
        const after = usage(prom.pid as number);
        const exporterAfter = usage(exporter.pid as number);
        const up = (await (await fetch(`${m.prometheusUrl}/api/v1/query?query=${encodeURIComponent("sum(up)")}`)).json()) as { data: { result: { value: [number, string] }[] } };
        return (
            `ready in ${(readyMs / 1000).toFixed(2)} s; ` +
            `Prometheus RSS ${atReady.rssMb.toFixed(0)} MB at ready, ${after.rssMb.toFixed(0)} MB after ${scrapeSeconds} s of 1 s scrapes (${up.data.result[0]?.value[1] ?? 0} targets up), ` +
            `CPU ${atReady.cpuSeconds.toFixed(2)} s to ready, ${((after.cpuSeconds - atReady.cpuSeconds) / scrapeSeconds * 100).toFixed(1)}% of a core while scraping; ` +
            `process exporter RSS ${exporterAfter.rssMb.toFixed(0)} MB, ${((exporterAfter.cpuSeconds - exporterAtReady.cpuSeconds) / scrapeSeconds * 100).toFixed(1)}% of a core`
        );
    } finally {
        for (const c of children.reverse()) {
            await stop(c);
        }
        for (const a of apps) {
            a.close();
        }
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 3);
    const scrapeSeconds = Number(process.argv[3] ?? 30);
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${os.cpus().length} cores`);
    for (let run = 1; run <= runs; run++) {
        console.log(`run ${run}: ${await once(scrapeSeconds)}`);
    }
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
