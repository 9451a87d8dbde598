// The release report: stages, traffic and the events the providers recorded.
import * as fs from "node:fs";
import type { HookOutcome } from "../../provider/haproxy/member";
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

/** One run of a team's hook, in the stage whose `up` ran it. */
export interface HookRun extends HookOutcome {
    readonly stage: string;
    readonly server: string;
    readonly version: string;
}

/**
 * Every hook run of the release, once each, in the stage that ran it. A server's outputs keep the
 * hooks of its last reattach, so a stage in which the server did not move shows the same results
 * again: they are left out. A beforeAllowTraffic that failed is not in the outputs (its membership
 * was not created): the stage's error carries its output.
 * Worked example: web-1 moves in stage "canary 1" (both hooks run), stays in "canary 2": two runs,
 * both in "canary 1".
 */
export function hookRuns(r: Pick<ReleaseReport, "stages">): HookRun[] {
    const last = new Map<string, string>();
    const runs: HookRun[] = [];
    for (const stage of r.stages) {
        for (const s of stage.servers) {
            const hooks = s.hooks ?? [];
            const seen = JSON.stringify(hooks);
            if (hooks.length === 0 || last.get(s.name) === seen) {
                continue;
            }
            last.set(s.name, seen);
            runs.push(...hooks.map((h) => ({ stage: stage.name, server: s.name, version: s.version, ...h })));
        }
    }
    return runs;
}

const hookVerdict = (h: HookOutcome) => (h.exitCode === 0 ? "ok" : h.exitCode === null ? "killed" : `exit ${h.exitCode}`);

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
    const hooks = hookRuns(r);
    if (hooks.length > 0) {
        lines.push("");
        lines.push(`hooks (${hooks.length} runs):`);
        for (const h of hooks) {
            lines.push(`  ${h.stage.padEnd(26)} ${h.server.padEnd(8)} ${h.version.padEnd(8)} ${h.hook.padEnd(18)} ${hookVerdict(h).padEnd(8)} ${(h.durationMs / 1000).toFixed(1).padStart(5)} s  ${(h.command ?? []).join(" ")}`);
            for (const l of (h.outputTail ?? "").trimEnd().split("\n").filter((x) => x !== "").slice(-3)) {
                lines.push(`      | ${l}`);
            }
        }
    }
    lines.push("");
    lines.push(`events (${r.events.length}):`);
    for (const e of r.events) {
        lines.push(`  +${((e.t - r.startedAt) / 1000).toFixed(2).padStart(7)} s  ${e.server.padEnd(8)} ${e.step} ${e.phase}`);
    }
    return lines.join("\n");
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
    const tr = (cells: readonly string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join("")}</tr>`;
    return `<table>${tr(head.map(escapeHtml), "th")}${rows.map((r) => tr(r, "td")).join("")}</table>`;
}

/** The report as one self-contained HTML page: stages, traffic, hook runs (with their output) and events. */
export function formatReportHtml(r: ReleaseReport): string {
    const t = (x: string) => escapeHtml(x);
    const stages = table(["stage", "result", "seconds", "servers"], r.stages.map((s) => [
        t(s.name),
        s.ok ? "ok" : `<b>FAILED</b><pre>${t(s.error ?? "")}</pre>`,
        (s.durationMs / 1000).toFixed(1),
        t(s.servers.map((v) => `${v.name}=${v.version}${v.inLoadBalancer ? "" : "(out)"}`).join(" ")),
    ]));
    const traffic = table(["version", "requests", "failed", "p50 ms", "p99 ms"], Object.entries(r.traffic.byVersion).map(([v, x]) => [
        t(v), String(x.requests), String(x.failed), x.latencyMs.p50.toFixed(1), x.latencyMs.p99.toFixed(1),
    ]));
    const hooks = table(["stage", "server", "version", "hook", "result", "seconds", "command", "output (end)"], hookRuns(r).map((h) => [
        t(h.stage), t(h.server), t(h.version), t(h.hook), t(hookVerdict(h)), (h.durationMs / 1000).toFixed(1),
        `<code>${t((h.command ?? []).join(" "))}</code>`, `<pre>${t(h.outputTail ?? "")}</pre>`,
    ]));
    const events = table(["+s", "server", "step"], r.events.map((e) => [((e.t - r.startedAt) / 1000).toFixed(2), t(e.server), `${e.step} ${e.phase}`]));
    return [
        "<!doctype html>",
        '<html><head><meta charset="utf-8"><title>zdr release report</title>',
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}pre{margin:0}</style>",
        "</head><body>",
        `<h1>Release report</h1><p>started ${t(new Date(r.startedAt).toISOString())}</p>`,
        `<h2>Stages</h2>${stages}`,
        `<h2>Traffic</h2><p>${r.traffic.requests} requests, ${r.traffic.failed} failed</p>${traffic}`,
        `<h2>Hooks</h2>${hookRuns(r).length > 0 ? hooks : "<p>no hook ran</p>"}`,
        `<h2>Events (${r.events.length})</h2>${events}`,
        "</body></html>",
        "",
    ].join("\n");
}
