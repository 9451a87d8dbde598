// Benchmark: where the CPU of a test run goes. Runs a command (by default the end-to-end suite as
// `npm test` runs it) under the kernel's process accounting and prints the wall time, the CPU
// time of every process that ended during it, and that CPU by role: the engine CLI, the language
// host, the program, the providers and policy packs, the servers the providers leave running
// (the apps and their log writers), HAProxy, PostgreSQL, sshd, the test workers. Total CPU over
// two cores is the least wall time any number of parallel jobs can reach.
//
// Run (as root, on an idle machine: accounting sees every process on it):
//   npx ts-node --transpile-only bench/suite-cpu.ts [-- command args...]
// Needs `accton` and `dump-acct` (Debian's acct package).
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../src/engine";

interface Proc {
    readonly command: string;
    readonly cpuSeconds: number;
    readonly pid: number;
    readonly ppid: number;
    /** Start and end, in seconds since the epoch (the start to the second). */
    readonly start: number;
    readonly end: number;
}

/** One line of `dump-acct` (acct v3): command|version|user|system|elapsed|uid|gid|mem|io|pid|ppid|flags|exit|tty|start (times in clock ticks). */
function parseDumpAcct(text: string, ticksPerSecond = 100): Proc[] {
    return text
        .split("\n")
        .filter((line) => line.includes("|v3|"))
        .map((line) => {
            const f = line.split("|").map((s) => s.trim());
            const start = Date.parse(f[14]) / 1000;
            return { command: f[0], cpuSeconds: (Number(f[2]) + Number(f[3])) / ticksPerSecond, pid: Number(f[9]), ppid: Number(f[10]), start, end: start + Number(f[4]) / ticksPerSecond };
        });
}

/**
 * The process that was `proc`'s parent when it ended: of those with its parent's pid (pids are
 * reused over a long run), the last one started by then that was still running (to the second).
 */
function parentOf(proc: Proc, byPid: ReadonlyMap<number, readonly Proc[]>): Proc | undefined {
    const running = (byPid.get(proc.ppid) ?? []).filter((p) => p.start <= proc.end + 1 && p.end >= proc.end - 1);
    return running.sort((a, b) => b.start - a.start)[0];
}

/** What a process is in a zdr test run, from its command and its parent's (the parent when it ended). */
function roleOf(proc: Proc, byPid: ReadonlyMap<number, readonly Proc[]>): string {
    const parent = parentOf(proc, byPid)?.command;
    switch (proc.command) {
        case "pulumi":
            return "engine CLI (pulumi)";
        case "pulumi-language":
            return "language host";
        case "haproxy":
            return "HAProxy";
        case "postgres":
        case "initdb":
        case "pg_ctl":
            return "PostgreSQL";
        case "sshd":
        case "ssh":
            return "OpenSSH";
        case "node":
            if (parent === "pulumi-language") return "program (node)";
            if (parent === "pulumi") return "providers and policy packs (node)";
            if (parent === undefined || proc.ppid === 1) return "servers left running: apps, log writers (node)";
            if (parent === "node" || parent === "sh" || parent?.startsWith("npm exec")) return "test workers and tools (node)";
            return `node under ${parent}`;
        default:
            return proc.command.startsWith("npm exec") ? "test workers and tools (node)" : `other: ${proc.command}`;
    }
}

async function main() {
    const dash = process.argv.indexOf("--");
    const command = dash >= 0 ? process.argv.slice(dash + 1) : ["npx", "mocha", "--config", "test/e2e/.mocharc.js"];
    for (const tool of ["accton", "dump-acct"]) {
        try {
            execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
        } catch {
            throw new Error(`bench/suite-cpu.ts needs ${tool} (Debian's acct package) and root`);
        }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-suite-cpu-"));
    const file = path.join(dir, "pacct");
    fs.writeFileSync(file, "");
    execFileSync("accton", [file], { stdio: "ignore" });
    const started = Date.now();
    let code: number | null;
    try {
        code = await new Promise<number | null>((resolve, reject) => {
            const child = spawn(command[0], command.slice(1), { cwd: projectRoot, stdio: "inherit" });
            child.on("error", reject);
            child.on("exit", (c) => resolve(c));
        });
    } finally {
        execFileSync("accton", ["off"], { stdio: "ignore" });
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const procs = parseDumpAcct(execFileSync("dump-acct", [file], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 }));
    fs.rmSync(dir, { recursive: true, force: true });
    const byPid = new Map<number, Proc[]>();
    for (const p of procs) {
        byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), p]);
    }
    const byRole = new Map<string, { cpu: number; count: number }>();
    for (const p of procs) {
        const role = roleOf(p, byPid);
        const r = byRole.get(role) ?? { cpu: 0, count: 0 };
        byRole.set(role, { cpu: r.cpu + p.cpuSeconds, count: r.count + 1 });
    }
    const total = procs.reduce((s, p) => s + p.cpuSeconds, 0);
    const cores = os.cpus().length;
    console.log(`\n${command.join(" ")}: exit ${code}, wall ${wallSeconds.toFixed(0)} s, CPU ${total.toFixed(0)} s of processes that ended (${(total / wallSeconds).toFixed(2)} cores busy on average; ${cores} cores: ${(total / cores).toFixed(0)} s is the least wall time this CPU allows), load average at the end ${os.loadavg()[0].toFixed(1)}`);
    console.log("   CPU s   share  processes  role");
    for (const [role, r] of [...byRole].sort((a, b) => b[1].cpu - a[1].cpu).filter(([, r]) => r.cpu >= 0.5)) {
        console.log(`${r.cpu.toFixed(1).padStart(8)}  ${((100 * r.cpu) / total).toFixed(1).padStart(5)}%  ${String(r.count).padStart(9)}  ${role}`);
    }
    console.log("(the parent is the one a process had when it ended; a process still running at the end is not counted; every process on the machine is)");
    process.exitCode = code ?? 1;
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    });
}
