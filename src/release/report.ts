// The release report: stages, traffic and the events the providers recorded.
import * as fs from "node:fs";
import type { Traffic } from "../load/traffic";
import type { StageResult } from "./stages";

export interface ReleaseEvent {
    readonly t: number;
    readonly server: string;
    readonly step: "drain" | "deploy" | "reattach";
    readonly phase: "start" | "end";
}

export interface ReleaseReport {
    readonly startedAt: number;
    readonly stages: readonly {
        readonly name: string;
        readonly config: StageResult["config"];
        readonly ok: boolean;
        readonly error?: string;
        readonly durationMs: number;
        readonly servers: StageResult["servers"];
    }[];
    readonly traffic: Traffic;
    readonly events: readonly ReleaseEvent[];
}

/** Events from the providers' JSON-lines file, from `since` on, in time order. */
export function readEvents(file: string, since = 0): ReleaseEvent[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as ReleaseEvent)
        .filter((e) => e.t >= since)
        .sort((a, b) => a.t - b.t);
}

/**
 * Checks the order of events: every server that moved goes drain, deploy, reattach, and a
 * drain never starts while another server is out of the load balancer. Returns the problems.
 */
export function checkOneAtATime(events: readonly ReleaseEvent[]): string[] {
    const problems: string[] = [];
    const order = ["drain:start", "drain:end", "deploy:start", "deploy:end", "reattach:start", "reattach:end"];
    const progress = new Map<string, number>();
    let out: string | undefined;
    for (const e of events) {
        const key = `${e.step}:${e.phase}`;
        const at = progress.get(e.server) ?? -1;
        const want = order[(at + 1) % order.length];
        if (key !== want) {
            problems.push(`${e.server}: ${key} at ${e.t} where ${want} was due`);
        }
        progress.set(e.server, order.indexOf(key));
        if (key === "drain:start") {
            if (out !== undefined && out !== e.server) {
                problems.push(`${e.server} drained at ${e.t} while ${out} was still out of the load balancer`);
            }
            out = e.server;
        }
        if (key === "reattach:end" && out === e.server) {
            out = undefined;
        }
    }
    return problems;
}

/**
 * The most servers out of the load balancer at the same moment: a server is out from its
 * drain's start to its reattach's end (or the end of the events, when it never came back).
 * Worked example: web-1 and web-2 drain, both reattach, then web-3 drains and reattaches: 2.
 */
export function maxOutOfLoadBalancer(events: readonly ReleaseEvent[]): number {
    const out = new Set<string>();
    let max = 0;
    for (const e of events) {
        if (e.step === "drain" && e.phase === "start") {
            out.add(e.server);
            max = Math.max(max, out.size);
        } else if (e.step === "reattach" && e.phase === "end") {
            out.delete(e.server);
        }
    }
    return max;
}

export function formatReport(r: ReleaseReport): string {
    const lines: string[] = [];
    lines.push("stage                      result  seconds  servers");
    for (const s of r.stages) {
        const servers = s.servers.map((v) => `${v.name}=${v.version}${v.inLoadBalancer ? "" : "(out)"}`).join(" ");
        lines.push(`${s.name.padEnd(26)} ${(s.ok ? "ok" : "FAILED").padEnd(7)} ${(s.durationMs / 1000).toFixed(1).padStart(7)}  ${servers}`);
    }
    lines.push("");
    lines.push(`traffic: ${r.traffic.requests} requests, ${r.traffic.failed} failed`);
    lines.push("version  requests  failed  p50 ms  p99 ms");
    for (const [v, t] of Object.entries(r.traffic.byVersion)) {
        lines.push(`${v.padEnd(8)} ${String(t.requests).padStart(8)}  ${String(t.failed).padStart(6)}  ${t.latencyMs.p50.toFixed(1).padStart(6)}  ${t.latencyMs.p99.toFixed(1).padStart(6)}`);
    }
    lines.push("");
    lines.push(`events (${r.events.length}):`);
    for (const e of r.events) {
        lines.push(`  +${((e.t - r.startedAt) / 1000).toFixed(2).padStart(7)} s  ${e.server.padEnd(8)} ${e.step} ${e.phase}`);
    }
    return lines.join("\n");
}
