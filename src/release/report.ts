// The release report: stages, traffic and the events the providers recorded, as text and as one
// HTML page whose timeline (vega-lite, static SVG: no script, no network) shows what a person
// asks of a release: requests/s, failures and p99 per version second by second, when each
// server was drained, deployed and reattached, when each stage started, and each canary's bake
// with its verdict. test/e2e/report-pictures.test.ts looks at the page in Chromium.
import * as fs from "node:fs";
import * as path from "node:path";
import type { HookOutcome } from "../../contract/member";
import type { Traffic } from "../load/traffic";
import type { CounterReport } from "../haproxy/counters";
import { escapeHtml, metricAnchor, svg } from "../canary/report";
import { metricCheckPrefix as metricPrefix } from "../monitors/metric-judge";
import type { StageResult } from "./stages";

export interface ReleaseEvent {
    readonly t: number;
    readonly server: string;
    readonly step: "drain" | "deploy" | "reattach";
    readonly phase: "start" | "end";
}

/** A canary's judgement as the release report shows it (the judgement's JSON record, provider/canary/judgement.ts). */
export interface CanaryVerdict {
    readonly canary: string;
    readonly version: string;
    readonly verdict: string;
    /** The bake's window (epoch ms). */
    readonly from: number;
    readonly to: number;
    /** The judgement's own page, relative to the report. @default - none */
    readonly page?: string;
    /** Its metric checks' verdicts (each charted on the page, at `#metric-<name>`). @default - none */
    readonly metrics?: readonly { readonly name: string; readonly verdict: string }[];
}

export interface ReleaseReport {
    /** When the load started (epoch ms): the timeline's 0. */
    readonly startedAt: number;
    readonly stages: readonly {
        readonly name: string;
        readonly config: StageResult["config"];
        readonly ok: boolean;
        readonly error?: string;
        readonly durationMs: number;
        /** When its `up` started. @default - not recorded (reports written before it) */
        readonly startedAt?: number;
        readonly servers: StageResult["servers"];
    }[];
    readonly traffic: Traffic;
    readonly events: readonly ReleaseEvent[];
    /** The canaries judged in the release. @default - none */
    readonly verdicts?: readonly CanaryVerdict[];
    /**
     * HAProxy's own per-server counters over the load (src/haproxy/counters.ts, every worker
     * across reloads): retries and redispatches hide a server stopped mid-request behind
     * "0 failed", so they are shown beside it. @default - not read (the hosts and AWS releases)
     */
    readonly haproxy?: CounterReport;
}

/** The servers whose HAProxy counters show a retry, a redispatch, a connection or a response error. */
export function counterProblems(r: ReleaseReport): string[] {
    return Object.entries(r.haproxy?.servers ?? {})
        .filter(([, c]) => c.wretr + c.wredis + c.econ + c.eresp > 0)
        .map(([server, c]) => `${server}: ${c.wretr} retries, ${c.wredis} redispatches, ${c.econ} connection errors, ${c.eresp} response errors`);
}

/**
 * The judgements written in `dir` (one JSON record per canary deployment) whose bake started at
 * `since` or later, in time order, each with its HTML page's path relative to `relativeTo`.
 */
export function readVerdicts(dir: string, since: number, relativeTo: string): CanaryVerdict[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json") && !f.endsWith(".metrics.json"))
        .map((f) => {
            const j = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as CanaryVerdict & { checks?: { name: string; verdict: string }[] };
            const page = path.join(dir, f.replace(/\.json$/, ".html"));
            const metrics = (j.checks ?? []).filter((c) => c.name.startsWith(metricPrefix)).map((c) => ({ name: c.name.slice(metricPrefix.length), verdict: c.verdict }));
            return { canary: j.canary, version: j.version, verdict: j.verdict, from: j.from, to: j.to, ...(fs.existsSync(page) ? { page: path.relative(relativeTo, page) } : {}), ...(metrics.length ? { metrics } : {}) };
        })
        .filter((v) => v.from >= since)
        .sort((a, b) => a.from - b.from);
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
    if (r.haproxy) {
        lines.push("");
        lines.push(`HAProxy per server (${r.haproxy.readings} readings of every worker, ${r.haproxy.workers.length} workers):`);
        lines.push("server          sessions  retries  redispatches  conn errors  resp errors");
        for (const [server, c] of Object.entries(r.haproxy.servers).sort(([a], [b]) => a.localeCompare(b))) {
            lines.push(`${server.padEnd(14)} ${String(c.stot).padStart(9)}  ${String(c.wretr).padStart(7)}  ${String(c.wredis).padStart(12)}  ${String(c.econ).padStart(11)}  ${String(c.eresp).padStart(11)}`);
        }
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

const timelineWidth = 900;
const versionPalette = ["#1f77b4", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d"];
const laneColors: Record<string, string> = {
    drain: "#7570b3",
    deploy: "#e7298a",
    reattach: "#66a61e",
    "bake: pass": "#1a7f37",
    "bake: accepted": "#1a7f37",
    "bake: inconclusive": "#d4a017",
    "bake: fail": "#c62828",
};

/**
 * The release as one picture, four panels on one time axis (seconds since the load started):
 * requests/s per version (stacked), failed requests per second per version, p99 latency per
 * version (log scale), and a lane per server with its drain, deploy and reattach and the canary
 * bakes with their verdicts. Each server's time out of the load balancer is shaded in the traffic
 * panels; each stage's start is a rule across them. Empty when the report has no timeline.
 */
export async function renderTimeline(r: ReleaseReport): Promise<string> {
    const timeline = r.traffic.timeline ?? [];
    if (timeline.length === 0) {
        return "";
    }
    const sec = (t: number) => (t - r.startedAt) / 1000;
    const end = Math.max(...timeline.map((x) => sec(x.t) + 1), ...r.events.map((e) => sec(e.t)), ...(r.verdicts ?? []).map((v) => sec(v.to)));
    // a step of 50 ms is a pixel wide at 900 px for 100 s: every span is drawn at least 3 px wide
    const minSpan = (3 * end) / timelineWidth;
    const x = { field: "from", type: "quantitative" as const, title: "seconds since the load started", scale: { domain: [0, end], nice: false, zero: false } };
    const versions = [...new Set(timeline.map((t) => t.version))].sort((a, b) => Number(a === "none") - Number(b === "none") || a.localeCompare(b));
    const version = (legend: boolean) => ({ field: "version", type: "nominal" as const, title: "version", scale: { domain: versions, range: versions.map((v, i) => (v === "none" ? "#999" : versionPalette[i % versionPalette.length])) }, legend: legend ? { orient: "right" as const } : null });

    // each server's time out of the load balancer: drain start to reattach end
    const out: { from: number; to: number; server: string }[] = [];
    const spans: { from: number; to: number; lane: string; item: string }[] = [];
    const open = new Map<string, number>();
    for (const e of r.events) {
        const key = `${e.server} ${e.step}`;
        if (e.phase === "start") {
            open.set(key, e.t);
            if (e.step === "drain") {
                open.set(`${e.server} out`, e.t);
            }
            continue;
        }
        const started = open.get(key);
        if (started !== undefined) {
            spans.push({ from: sec(started), to: Math.max(sec(e.t), sec(started) + minSpan), lane: e.server, item: e.step });
            open.delete(key);
        }
        const outSince = open.get(`${e.server} out`);
        if (e.step === "reattach" && outSince !== undefined) {
            out.push({ from: sec(outSince), to: Math.max(sec(e.t), sec(outSince) + minSpan), server: e.server });
            open.delete(`${e.server} out`);
        }
    }
    for (const [key, t] of open) {
        if (key.endsWith(" out")) {
            out.push({ from: sec(t), to: end, server: key.slice(0, -" out".length) });
        }
    }
    for (const v of r.verdicts ?? []) {
        spans.push({ from: Math.max(0, sec(v.from)), to: Math.max(sec(v.to), sec(v.from) + minSpan), lane: v.canary, item: `bake: ${v.verdict}` });
    }
    const stages = r.stages
        .filter((st) => st.startedAt !== undefined && st.startedAt >= r.startedAt)
        .map((st, i) => ({ from: sec(st.startedAt as number), label: `${st.name}${st.ok ? "" : " (FAILED)"}`, dy: (i % 3) * 12 }));
    const shading = [
        ...(out.length ? [{ data: { values: out }, mark: { type: "rect" as const, color: "#000", opacity: 0.08 }, encoding: { x, x2: { field: "to" } } }] : []),
        ...(stages.length ? [{ data: { values: stages }, mark: { type: "rule" as const, color: "#555", strokeDash: [4, 3] }, encoding: { x } }] : []),
    ];
    const stageLabels = stages.length
        ? [{ data: { values: stages }, mark: { type: "text" as const, align: "left" as const, baseline: "top" as const, dx: 3, fontSize: 11, color: "#333" }, encoding: { x, y: { value: 0 }, yOffset: { field: "dy", type: "quantitative" as const, scale: null }, text: { field: "label" } } }]
        : [];
    const outLabels = out.length
        ? [{ data: { values: out }, mark: { type: "text" as const, align: "left" as const, baseline: "bottom" as const, fontSize: 11, color: "#333" }, encoding: { x, y: { value: -2 }, text: { field: "server" } } }]
        : [];

    // stacked by hand (vega-lite's stack of rects with x2 does not group by second): versions in legend order
    const stackedTo = new Map<number, number>();
    const perSecond = [...timeline]
        .sort((a, b) => a.t - b.t || versions.indexOf(a.version) - versions.indexOf(b.version))
        .map((t) => {
            const base = stackedTo.get(t.t) ?? 0;
            stackedTo.set(t.t, base + t.requests);
            return { from: sec(t.t), to: sec(t.t) + 1, version: t.version, requests: t.requests, y: base, y2: base + t.requests };
        });
    // failures per version every second from its first to its last second, 0 where none failed
    const failures: { from: number; version: string; failed: number }[] = [];
    for (const v of versions) {
        const rows = timeline.filter((t) => t.version === v);
        const bySecond = new Map(rows.map((t) => [t.t, t.failed]));
        for (let t = rows[0].t; t <= rows[rows.length - 1].t; t += 1000) {
            failures.push({ from: sec(t) + 0.5, version: v, failed: bySecond.get(t) ?? 0 });
        }
    }
    const failed = failures.reduce((n, f) => n + f.failed, 0);
    const maxFailed = Math.max(1, ...failures.map((f) => f.failed));
    const p99 = timeline.flatMap((t) => (t.latencyMs ? [{ from: sec(t.t) + 0.5, version: t.version, p99: Math.max(t.latencyMs.p99, 0.5) }] : []));
    const lanes = [...new Set(spans.map((s) => s.lane))].sort();
    const items = Object.keys(laneColors).filter((k) => spans.some((s) => s.item === k));

    return svg({
        vconcat: [
            {
                title: { text: "Requests per second by the version that answered", subtitle: "stacked; shaded and named above: a server out of the load balancer (drain to reattach); dashed: a stage's start" },
                width: timelineWidth,
                height: 150,
                layer: [
                    ...shading,
                    { data: { values: perSecond }, mark: { type: "rect" as const }, encoding: { x, x2: { field: "to" }, y: { field: "y", type: "quantitative" as const, title: "requests/s" }, y2: { field: "y2" }, color: version(true), tooltip: [{ field: "version" }, { field: "requests" }] } },
                    ...stageLabels,
                    ...outLabels,
                ],
            },
            {
                title: { text: "Failed requests per second (non-2xx or no response)", subtitle: failed === 0 ? "none failed" : `${failed} failed in all; "none": no response, so no version` },
                width: timelineWidth,
                height: 110,
                layer: [
                    ...shading,
                    { data: { values: failures }, mark: { type: "line" as const, point: { size: 10 } }, encoding: { x, y: { field: "failed", type: "quantitative" as const, title: "failed", axis: { format: "d", ...(maxFailed <= 5 ? { values: Array.from({ length: maxFailed + 1 }, (_, i) => i) } : {}) }, scale: { domain: [0, maxFailed] } }, color: version(false) } },
                ],
            },
            {
                title: { text: "p99 latency per second, as the client saw it", subtitle: "log scale; successful requests" },
                width: timelineWidth,
                height: 150,
                layer: [...shading, { data: { values: p99 }, mark: { type: "line" as const, point: { size: 10 } }, encoding: { x, y: { field: "p99", type: "quantitative" as const, title: "p99, ms (log scale)", scale: { type: "log" as const } }, color: version(false) } }],
            },
            ...(spans.length
                ? [
                      {
                          title: { text: "Each server's moves and canary bakes", subtitle: "drain, deploy and reattach as the providers recorded them; a bake's colour is its verdict" },
                          width: timelineWidth,
                          height: Math.max(60, lanes.length * 26),
                          data: { values: spans },
                          mark: { type: "rect" as const, height: { band: 0.7 } },
                          encoding: {
                              x,
                              x2: { field: "to" },
                              y: { field: "lane", type: "nominal" as const, title: null, scale: { domain: lanes } },
                              color: { field: "item", type: "nominal" as const, title: null, scale: { domain: items, range: items.map((k) => laneColors[k]) }, legend: { orient: "bottom" as const } },
                          },
                      },
                  ]
                : []),
        ],
        resolve: { scale: { color: "independent" } },
    });
}


function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
    const tr = (cells: readonly string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join("")}</tr>`;
    return `<table>${tr(head.map(escapeHtml), "th")}${rows.map((r) => tr(r, "td")).join("")}</table>`;
}

/** The report as one self-contained HTML page: the timeline, stages and verdicts, traffic, hook runs (with their output) and events. */
export async function formatReportHtml(r: ReleaseReport): Promise<string> {
    const t = (x: string) => escapeHtml(x);
    const timeline = await renderTimeline(r);
    const verdicts = table(["canary", "version", "verdict", "bake (s since the load started)", "page", "metric checks (charted on the page)"], (r.verdicts ?? []).map((v) => [
        t(v.canary), t(v.version), `<span class="${t(v.verdict)}">${t(v.verdict)}</span>`,
        `${((v.from - r.startedAt) / 1000).toFixed(1)} to ${((v.to - r.startedAt) / 1000).toFixed(1)}`,
        v.page ? `<a href="${t(v.page)}">${t(v.page)}</a>` : "",
        (v.metrics ?? []).map((m) => (v.page ? `<a href="${t(`${v.page}#${metricAnchor(m.name)}`)}">${t(m.name)}</a>` : t(m.name)) + ` <span class="${t(m.verdict)}">${t(m.verdict)}</span>`).join(", "),
    ]));
    const stages = table(["stage", "result", "seconds", "servers"], r.stages.map((s) => [
        t(s.name),
        s.ok ? "ok" : `<b>FAILED</b><pre>${t(s.error ?? "")}</pre>`,
        (s.durationMs / 1000).toFixed(1),
        t(s.servers.map((v) => `${v.name}=${v.version}${v.inLoadBalancer ? "" : "(out)"}`).join(" ")),
    ]));
    const traffic = table(["version", "requests", "failed", "p50 ms", "p99 ms"], Object.entries(r.traffic.byVersion).map(([v, x]) => [
        t(v), String(x.requests), String(x.failed), x.latencyMs.p50.toFixed(1), x.latencyMs.p99.toFixed(1),
    ]));
    const counters = r.haproxy
        ? table(["server", "sessions", "retries", "redispatches", "connection errors", "response errors"], Object.entries(r.haproxy.servers).sort(([a], [b]) => a.localeCompare(b)).map(([server, c]) => [
            t(server), String(c.stot), ...[c.wretr, c.wredis, c.econ, c.eresp].map((n) => (n > 0 ? `<b class="fail">${n}</b>` : "0")),
        ]))
        : "";
    const hooks = table(["stage", "server", "version", "hook", "result", "seconds", "command", "output (end)"], hookRuns(r).map((h) => [
        t(h.stage), t(h.server), t(h.version), t(h.hook), t(hookVerdict(h)), (h.durationMs / 1000).toFixed(1),
        `<code>${t((h.command ?? []).join(" "))}</code>`, `<pre>${t(h.outputTail ?? "")}</pre>`,
    ]));
    const events = table(["+s", "server", "step"], r.events.map((e) => [((e.t - r.startedAt) / 1000).toFixed(2), t(e.server), `${e.step} ${e.phase}`]));
    return [
        "<!doctype html>",
        '<html><head><meta charset="utf-8"><title>zdr release report</title>',
        '<style>body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}pre{margin:0;white-space:pre-wrap;max-width:900px}.pass,.accepted{color:#1a7f37}.fail{color:#c62828;font-weight:bold}.inconclusive{color:#9a6700}</style>',
        "</head><body>",
        `<h1>Release report</h1><p>load started ${t(new Date(r.startedAt).toISOString())}</p>`,
        timeline ? `<figure>${timeline}</figure>` : "<p>No timeline: this report was written without per-second traffic.</p>",
        `<h2>Stages</h2>${stages}`,
        `<h2>Canary verdicts</h2>${(r.verdicts ?? []).length > 0 ? verdicts : "<p>no canary was judged</p>"}`,
        `<h2>Traffic</h2><p>${r.traffic.requests} requests, ${r.traffic.failed} failed</p>${traffic}`,
        ...(r.haproxy ? [`<h3>HAProxy per server</h3><p>Its own counters (${r.haproxy.readings} readings of every worker): retries and redispatches would hide a server stopped mid-request behind "0 failed".</p>${counters}`] : []),
        `<h2>Hooks</h2>${hookRuns(r).length > 0 ? hooks : "<p>no hook ran</p>"}`,
        `<h2>Events (${r.events.length})</h2>${events}`,
        "</body></html>",
        "",
    ].join("\n");
}
