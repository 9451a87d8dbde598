// A canary's fresh baseline on the local default (issue 24): one more process of the stable
// version, started when the canary's bake starts and added to HAProxy beside it (a dynamic server
// at the same weight), judged as the baseline the canary's latency and tail are compared with,
// then drained, removed and stopped when the judgement ends. A canary is a process seconds old;
// the stable servers have run for minutes: compared as they are, a healthy canary's warm-up (JIT,
// connection pool, caches: on the real engine 1.65x the warm servers' latency at 0-2 s, 1.25x at
// 10-40 s, 1.12x at 40-70 s) reads as a regression. Two processes of the same age warm up
// together, so what is left between them is the version (Kayenta's fresh baseline). It adds a
// server instead of taking one out: the fleet's capacity, maxUnavailable and minHealthy are
// untouched. A judgement that ends in any way (verdict, error) removes it; one that was killed
// leaves a pid file that the next judgement of the canary reads to stop it first.
import * as fs from "node:fs";
import * as net from "node:net";
import { startArgv } from "../../src/release/app-config";
import { HaproxyRuntime, isNoSuchServer } from "../../src/haproxy/runtime";
import type { StopSignal } from "../../src/release/app-config";
import { drain, reattach } from "../haproxy/member";
import { isSameProcessAlive, startProcess, stopProcess } from "../../targets/local/provider/process";
import { freshServerName } from "../../contract/tokens";

export interface FreshBaselineInputs {
    /** The app's start command as configured ({version} and {port} replaced here). */
    readonly startCommand: string[];
    /** The stable version it runs. */
    readonly version: string;
    /** Where the start command runs (the project folder). */
    readonly cwd: string;
    /** The servers' environment without PORT and APP_VERSION (the database connection); a secret. */
    readonly env: Record<string, string>;
    /** The app's health check path, polled before it joins HAProxy. */
    readonly healthCheckPath: string;
    /** Its stdout and stderr (its error lines are the stable version's: known, never new). */
    readonly logFile: string;
    readonly runtimeApi: string;
    readonly backend: string;
    /** HAProxy's health-check settings of every server (checkSettings, targets/local/environment.ts). */
    readonly check: string[];
    /** @default "SIGTERM" */
    readonly stopSignal?: StopSignal;
    /** @default 10000 */
    readonly stopTimeoutMs?: number;
    /** Longest wait for it to answer its health check, then for HAProxy to see it UP. @default 30000 */
    readonly healthTimeoutMs?: number;
    /** Longest wait for its requests in flight when it leaves. @default 10000 */
    readonly drainTimeoutMs?: number;
}

export interface RunningFreshBaseline {
    /** Its name in HAProxy (and in the request log). */
    readonly server: string;
    /** Its loopback port (Prometheus scrapes it there while the bake runs). */
    readonly port: number;
    /** Drains it, removes it from HAProxy and stops it; never throws (says what it could not do). */
    stop(): Promise<string | undefined>;
}

/** Its server name in HAProxy: one per canary, so a leftover of a killed judgement is found again. */
/** A free TCP port on 127.0.0.1 (the kernel's choice). */
async function freeLoopbackPort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const pidFile = (i: FreshBaselineInputs) => `${i.logFile}.pid`;

/** What a killed judgement left: its process (by pid and start time) and its HAProxy server. */
async function removeLeftover(i: FreshBaselineInputs, server: string, runtime: HaproxyRuntime): Promise<void> {
    try {
        await runtime.setServerState(i.backend, server, "maint");
        await runtime.delServer(i.backend, server);
    } catch (e) {
        if (!isNoSuchServer(e)) {
            throw e;
        }
    }
    if (fs.existsSync(pidFile(i))) {
        const [pid, startTicks] = fs.readFileSync(pidFile(i), "utf8").trim().split(" ");
        if (pid && startTicks && isSameProcessAlive(Number(pid), startTicks)) {
            await stopProcess(Number(pid), startTicks, i.stopTimeoutMs ?? 10000, i.stopSignal);
        }
        fs.rmSync(pidFile(i), { force: true });
    }
}

/**
 * Starts the stable version on a free loopback port, waits for its health check, adds it to
 * HAProxy and waits until HAProxy sees it UP. On an error it leaves nothing behind.
 */
export async function startFreshBaseline(canary: string, i: FreshBaselineInputs): Promise<RunningFreshBaseline> {
    const server = freshServerName(canary);
    const runtime = new HaproxyRuntime(i.runtimeApi);
    await removeLeftover(i, server, runtime);
    const port = await freeLoopbackPort();
    const started = await startProcess({
        command: startArgv(i.startCommand, i.version, port),
        cwd: i.cwd,
        env: { ...i.env, PORT: String(port), APP_VERSION: i.version },
        logFile: i.logFile,
        label: `fresh baseline of ${canary} (${i.version})`,
        healthUrl: `http://127.0.0.1:${port}${i.healthCheckPath}`,
        healthTimeoutMs: i.healthTimeoutMs ?? 30000,
        ...(i.stopSignal ? { stopSignal: i.stopSignal } : {}),
    });
    fs.writeFileSync(pidFile(i), `${started.pid} ${started.startTicks}\n`);
    const member = { runtimeApi: i.runtimeApi, backend: i.backend, server, version: i.version, healthTimeoutMs: i.healthTimeoutMs ?? 30000, drainTimeoutMs: i.drainTimeoutMs ?? 10000 };
    let added = false;
    const stop = async (): Promise<string | undefined> => {
        const problems: string[] = [];
        if (added) {
            try {
                await drain(member);
                await runtime.delServer(i.backend, server);
            } catch (e) {
                problems.push(`could not remove ${i.backend}/${server} from HAProxy: ${e instanceof Error ? e.message : e}`);
            }
        }
        try {
            await stopProcess(started.pid, started.startTicks, i.stopTimeoutMs ?? 10000, i.stopSignal);
            fs.rmSync(pidFile(i), { force: true });
        } catch (e) {
            problems.push(`could not stop the fresh baseline (pid ${started.pid}): ${e instanceof Error ? e.message : e}`);
        }
        return problems.length > 0 ? problems.join("; ") : undefined;
    };
    try {
        await runtime.addServer(i.backend, server, `127.0.0.1:${port}`, i.check);
        added = true;
        await reattach(member);
    } catch (e) {
        await stop();
        throw e;
    }
    return { server, port, stop };
}
