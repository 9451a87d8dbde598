// A `pulumi up` killed with SIGKILL in the middle of a drain and in the middle of a deploy, under
// load, then the documented recovery (cancel, refresh, up): every server ends in the load
// balancer on the version the config asks for, and the load counts what failed on the way.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { engineEnv, projectRoot } from "../../src/engine";
import { startLoad } from "../../src/load/traffic";
import { readEvents } from "../../src/release/report";
import { setStageConfig, Stage } from "../../src/release/stages";
import { LocalStack, openLocalStack } from "../support/local-stack";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const statOf = (pid: number) => {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    } catch {
        return undefined;
    }
};
const alive = (pid: number) => (statOf(pid)?.[0] ?? "Z") !== "Z";
const commandOf = (pid: number) => {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").slice(0, 120);
    } catch {
        return "?";
    }
};

/** Every process below pid (children, grandchildren, ...), from /proc. */
function descendants(pid: number): number[] {
    const parentOf = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        const ppid = /^\d+$/.test(entry) ? statOf(Number(entry))?.[1] : undefined;
        if (ppid !== undefined) {
            parentOf.set(Number(entry), Number(ppid));
        }
    }
    const found: number[] = [];
    let frontier = [pid];
    for (let depth = 0; depth < 10 && frontier.length > 0; depth++) {
        frontier = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([p]) => p);
        found.push(...frontier);
    }
    return found;
}

interface KillCase {
    readonly name: string;
    readonly stage: Stage["config"];
    /** The kill comes as soon as the provider records this event. */
    readonly at: { readonly server: string; readonly step: "drain" | "deploy"; readonly phase: "start" };
    /** What the stage asks for once it is carried out. */
    readonly want: Record<string, string>;
}

const cases: KillCase[] = [
    {
        name: "during web-1's drain (slow requests in flight)",
        stage: { releaseVersion: "v2", canaryCount: "1" },
        at: { server: "web-1", step: "drain", phase: "start" },
        want: { "web-1": "v2", "web-2": "v1", "web-3": "v1" },
    },
    {
        name: "during web-2's deploy (the new process starting)",
        stage: { canaryCount: "2" },
        at: { server: "web-2", step: "deploy", phase: "start" },
        want: { "web-1": "v2", "web-2": "v2", "web-3": "v1" },
    },
];

describe("a pulumi up killed (SIGKILL) during a drain and during a deploy, under load", function () {
    this.timeout(400_000);
    let local: LocalStack;
    let appBasePort: number;

    before(async () => {
        local = await openLocalStack("e2e-kill", { drainTimeoutSeconds: "6", healthTimeoutSeconds: "10" });
        appBasePort = Number((await local.stack.getConfig("zdr:appBasePort")).value);
    });
    after(() => local?.close());

    /** `pulumi up` as a person runs it, in a process of its own that the test can kill. */
    function upProcess(): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
        let output = "";
        const child = spawn(path.join(projectRoot, "bin/pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", local.name], {
            cwd: projectRoot,
            env: { ...process.env, ...engineEnv(local.backendUrl.slice("file://".length)) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout?.on("data", (d) => (output += d));
        child.stderr?.on("data", (d) => (output += d));
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        return { child, exited, output: () => output };
    }

    async function waitForEvent(since: number, at: KillCase["at"], limitMs: number): Promise<void> {
        const file = path.join(local.dir, "events.jsonl");
        const deadline = Date.now() + limitMs;
        while (Date.now() < deadline) {
            if (fs.existsSync(file) && readEvents(file, since).some((e) => e.server === at.server && e.step === at.step && e.phase === at.phase)) {
                return;
            }
            await sleep(20);
        }
        throw new Error(`no ${at.step} ${at.phase} of ${at.server} within ${limitMs} ms`);
    }

    const listening = (port: number) =>
        new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1");
            s.once("connect", () => (s.destroy(), resolve(true)));
            s.once("error", () => resolve(false));
        });

    const status = () => local.status();

    for (const c of cases) {
        it(`${c.name}: cancel, refresh and up converge, with no failed request`, async () => {
            await setStageConfig(local.stack, c.stage);
            const shop = startLoad(local.lbUrl, { rate: 150, connections: 6, maxSeconds: 300 });
            // Slow pages keep requests in flight on every server, so that a drain takes seconds.
            const slow = startLoad(local.lbUrl, { rate: 6, connections: 6, maxSeconds: 300, paths: ["/slow?ms=2000"] });
            await sleep(1000);
            const since = Date.now();
            const up = upProcess();
            try {
                await waitForEvent(since, c.at, 120_000);
            } catch (e) {
                up.child.kill("SIGKILL");
                throw new Error(`${(e as Error).message}; the up said: ${up.output()}`);
            }
            const left = descendants(up.child.pid as number);
            up.child.kill("SIGKILL");
            const killedAt = Date.now();
            assert.equal(await up.exited, null, "pulumi was killed");

            // The orphaned provider finishes the step and exits; the language host and the
            // program exit too: nothing of the killed up stays running.
            for (let i = 0; i < 300 && left.some(alive); i++) {
                await sleep(100);
            }
            assert.deepEqual(left.filter(alive).map((pid) => `${pid} ${commandOf(pid)}`), [], "processes of the killed up still running");
            const events = readEvents(path.join(local.dir, "events.jsonl"), since).filter((e) => e.server === c.at.server);
            if (c.at.step === "drain") {
                assert.deepEqual(events.map((e) => `${e.step}:${e.phase}`), ["drain:start", "drain:end"], "the provider finished the drain");
            } else {
                // The provider started the new version, and then, its engine gone, stopped it
                // again (a create nobody can record), leaving the port free for the next up.
                const log = fs.readFileSync(path.join(local.dir, "logs", `${c.at.server}.log`), "utf8").split("\n").filter((l) => l.startsWith("{"));
                const seen = log.map((l) => JSON.parse(l) as { t: number; msg: string; version: string }).filter((l) => l.t >= since && l.version === c.want[c.at.server]);
                assert.deepEqual(seen.map((l) => l.msg), ["listening", "stopping"], `log of ${c.at.server} after the kill`);
                const index = Number(c.at.server.split("-")[1]) - 1;
                assert.equal(await listening(appBasePort + index), false, `port of ${c.at.server} still taken`);
            }
            const afterKill = await status();
            assert.equal(afterKill.rows.find((r) => r.server === c.at.server)?.lbStatus, "MAINT", JSON.stringify(afterKill.rows));

            // The documented recovery.
            await local.stack.cancel();
            const refresh = await local.stack.refresh();
            assert.equal(refresh.summary.result, "succeeded");
            const recovered = await local.stack.up();
            assert.equal(recovered.summary.result, "succeeded");
            await sleep(500);
            const shopTraffic = await shop.stop();
            const slowTraffic = await slow.stop();

            const healed = await status();
            assert.equal(healed.code, 0, JSON.stringify(healed.rows));
            assert.deepEqual(Object.fromEntries(healed.rows.map((r) => [r.server, r.runningVersion])), c.want);
            assert.ok(healed.rows.every((r) => r.lbStatus === "UP" && r.stateVersion === r.runningVersion), JSON.stringify(healed.rows));
            const outputs = await local.stack.outputs();
            assert.ok((outputs.servers.value as { inLoadBalancer: boolean }[]).every((s) => s.inLoadBalancer));

            const stepStart = events.find((e) => e.step === c.at.step && e.phase === "start")?.t ?? NaN;
            const stepEnd = events.find((e) => e.step === c.at.step && e.phase === "end")?.t;
            console.log(
                `      killed ${killedAt - stepStart} ms after the ${c.at.step} of ${c.at.server} began` +
                    (stepEnd ? ` (the orphaned provider ended it ${stepEnd - killedAt} ms after the kill)` : "") + "; " +
                    `shop requests ${shopTraffic.requests} (failed ${shopTraffic.failed}), slow requests ${slowTraffic.requests} (failed ${slowTraffic.failed})`,
            );
            assert.ok(shopTraffic.requests > 500 && slowTraffic.requests > 10, "the load ran");
            assert.equal(shopTraffic.failed, 0, JSON.stringify(shopTraffic.failures));
            assert.equal(slowTraffic.failed, 0, JSON.stringify(slowTraffic.failures));
        });
    }
});
