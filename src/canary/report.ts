// The canary report for people: one HTML page per judged canary, charts drawn with vega-lite
// and rendered to static SVG on our side (the page needs no script and no network). What it
// shows is what a person asks of a verdict: how each side's latency went over the bake (the
// canary's warm-up is visible there), which routes differ, the whole latency distribution (on a
// log axis: latency spans decades, a linear axis is a spike at 0 beside a dot at the slowest
// request), each check's evidence on its way to the verdict, every error template the app
// logged in the window, and each metric check's values over the bake per side (canary and the
// baseline it was compared with: its fresh baseline on the local default), with its tolerance. The figures come from ./series.ts; test/e2e/report-pictures.test.ts
// looks at the page in Chromium.
import * as vega from "vega";
import * as vl from "vega-lite";
import type { LoggedRequest } from "./evidence";
import type { AppLogTemplate } from "./app-log";
import type { Judgement } from "./judge";
import type { MetricEvidence } from "../monitors/metric-judge";
import { median } from "../monitors/sign-sequence";
import { binWidthMs, canaryRequestTime, ecdf, isFailed, latencyOverTime, perRoute, SideFigures } from "./series";

export interface CanaryEvidence {
    readonly canary: string;
    readonly version: string;
    readonly baseline: readonly string[];
    readonly from: number;
    readonly to: number;
    readonly judgement: Judgement;
    /** The requests the judge read, in its order. */
    readonly requests: readonly LoggedRequest[];
    /** Error templates of the app's own log lines in the window (known before it, and new). @default - none read */
    readonly appLogTemplates?: readonly AppLogTemplate[];
    /** What each metric check read (<report>.metrics.json). @default - no metric checks */
    readonly metrics?: readonly MetricEvidence[];
}

/** Where the checks were read and how often: "Prometheus, a point a second"; "CloudWatch, a point every 60 s". */
function metricSources(metrics: readonly MetricEvidence[]): string {
    const said = metrics.map((m) => `${m.source ?? "Prometheus"}, ${(m.stepSeconds ?? 1) === 1 ? "a point a second" : `a point every ${m.stepSeconds} s`}`);
    return [...new Set(said)].join("; ");
}

/** A metric check's chart's anchor in the page: the release report links it (`<page>#metric-<name>`). */
export const metricAnchor = (name: string) => `metric-${name}`;

/** A vega-lite spec as static SVG (vega's headless view: no DOM, no canvas). */
export async function svg(spec: vl.TopLevelSpec): Promise<string> {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
    return view.toSVG();
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A log axis cannot show 0 ms (HAProxy logs whole ms): such latencies are drawn here. */
const logFloorMs = 0.5;
/** The evidence chart's floor: a check far from failing is drawn here rather than squashing the others. */
const evidenceFloor = -5;
/** Routes the table shows; the rest are summed in a last row. */
const maxRoutes = 25;
const chartWidth = 560;
const chartHeight = 230;

const ms = (x: number | undefined) => (x === undefined ? "" : x < 10 ? x.toFixed(1) : x.toFixed(0));
const time = (t: number) => new Date(t).toISOString().replace("T", " ").replace("Z", " UTC");
const seconds = (from: number, t: number) => `${((t - from) / 1000).toFixed(1)} s`;
/** Infinite bounds and e-values are null in a report read back from JSON: both print as ∞. */
const bound = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "∞");
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : "∞");

/** The page's markers on the time axis: where the canary's warm-up ended and the verdict fell, seconds into the bake. */
interface Markers {
    readonly warmupEnd?: { readonly second: number; readonly over: boolean };
    readonly verdict?: number;
}

function markersOf(e: CanaryEvidence): Markers {
    const j = e.judgement;
    const at = (n: number) => {
        const t = canaryRequestTime(e.requests, e.canary, n);
        return t === undefined ? undefined : Math.max(0, (t - e.from) / 1000);
    };
    const warmupAt = j.warmup > 0 ? at(j.warmup) : undefined;
    const verdictAt = j.verdict === "pass" || j.verdict === "fail" ? at(j.decidedAfter) : undefined;
    return {
        ...(warmupAt !== undefined ? { warmupEnd: { second: warmupAt, over: j.warmup < j.counts.canary } } : {}),
        ...(verdictAt !== undefined ? { verdict: verdictAt } : {}),
    };
}

type Layers = Extract<vl.TopLevelSpec, { layer: unknown }>["layer"];

/** Vertical rules with labels at the markers (the warm-up shaded), for charts whose x axis is seconds into the bake. */
function markerLayers(m: Markers, verdict: string): Layers {
    const rules: { second: number; label: string; color: string }[] = [];
    if (m.warmupEnd) {
        rules.push({ second: m.warmupEnd.second, label: m.warmupEnd.over ? "canary warm-up over" : "canary still warming up", color: "#777" });
    }
    if (m.verdict !== undefined) {
        rules.push({ second: m.verdict, label: `verdict: ${verdict}`, color: verdict === "fail" ? "#c62828" : "#1a7f37" });
    }
    if (rules.length === 0) {
        return [];
    }
    return [
        ...(m.warmupEnd ? [{ data: { values: [{ from: 0, to: m.warmupEnd.second }] }, mark: { type: "rect" as const, color: "#000", opacity: 0.06 }, encoding: { x: { field: "from", type: "quantitative" as const }, x2: { field: "to" } } }] : []),
        { data: { values: rules }, mark: { type: "rule" as const, strokeDash: [4, 3] }, encoding: { x: { field: "second", type: "quantitative" as const }, color: { field: "color", type: "nominal" as const, scale: null } } },
        { data: { values: rules }, mark: { type: "text" as const, align: "left" as const, baseline: "top" as const, dx: 3, dy: 3, fontSize: 11 }, encoding: { x: { field: "second", type: "quantitative" as const }, y: { value: 0 }, text: { field: "label" }, color: { field: "color", type: "nominal" as const, scale: null } } },
    ];
}

/**
 * One metric check over the bake: the canary's value and the baseline's (the median of the
 * baseline servers it was compared with) at each step judged, the line the canary may not cross
 * (the baseline times 1 + tolerance, or 1 - tolerance when higher is better), the steps where it
 * did in red, and where the check failed. "" when the check read no step.
 */
async function metricChart(e: CanaryEvidence, m: MetricEvidence, canaryLabel: string): Promise<string> {
    if (m.points.length === 0) {
        return "";
    }
    const servers = [...new Set(m.points.flatMap((p) => Object.keys(p.baseline)))];
    const baselineLabel = `baseline (${servers.join(", ")})`;
    const limitLabel = `${m.better === "lower" ? "at most" : "at least"} ${m.better === "lower" ? 1 + m.tolerance : 1 - m.tolerance}x the baseline`;
    const factor = m.better === "lower" ? 1 + m.tolerance : 1 - m.tolerance;
    const second = (t: number) => (t * 1000 - e.from) / 1000;
    const rows = m.points.flatMap((p) => {
        const b = median(Object.values(p.baseline));
        return [
            { second: second(p.t), group: canaryLabel, value: p.canary },
            { second: second(p.t), group: baselineLabel, value: b },
            { second: second(p.t), group: limitLabel, value: b * factor },
        ];
    });
    const worse = m.points.filter((p) => p.worse).map((p) => ({ second: second(p.t), value: p.canary }));
    const failed = m.failedAt !== undefined ? [{ second: second(m.failedAt), label: `${m.name}: fail` }] : [];
    return svg({
        title: { text: `Metric ${m.name} over the bake, canary and baseline`, subtitle: [`${m.query.length > 110 ? `${m.query.slice(0, 109)}…` : m.query}`, `${m.better} is better; dashed: ${limitLabel} (the tolerance); red: steps beyond it${m.steps.warmup ? `; the first ${m.steps.warmup} s not judged (warm-up)` : ""}`] },
        width: chartWidth,
        height: 180,
        layer: [
            {
                data: { values: rows },
                mark: { type: "line", clip: true },
                encoding: {
                    x: { field: "second", type: "quantitative", title: "seconds into the bake", scale: { domain: [0, Math.max((e.to - e.from) / 1000, ...rows.map((r) => r.second))] } },
                    // bytes and counts with k, M, G; ratios and seconds as they are (SI's "m" reads as a unit)
                    y: { field: "value", type: "quantitative", title: m.name, axis: { format: rows.some((r) => Math.abs(r.value) >= 1e4) ? "~s" : "~r" }, scale: { zero: false } },
                    color: { field: "group", type: "nominal", title: null, scale: { domain: [canaryLabel, baselineLabel, limitLabel], range: ["#d95f02", "#1f77b4", "#888"] }, legend: { orient: "top", labelLimit: 400 } },
                    strokeDash: { field: "group", type: "nominal", scale: { domain: [canaryLabel, baselineLabel, limitLabel], range: [[1, 0], [1, 0], [5, 3]] } },
                },
            },
            ...(worse.length ? [{ data: { values: worse }, mark: { type: "point" as const, filled: true, size: 18, color: "#c62828" }, encoding: { x: { field: "second", type: "quantitative" as const }, y: { field: "value", type: "quantitative" as const } } }] : []),
            ...(failed.length
                ? [
                      { data: { values: failed }, mark: { type: "rule" as const, color: "#c62828", strokeDash: [4, 3] }, encoding: { x: { field: "second", type: "quantitative" as const } } },
                      { data: { values: failed }, mark: { type: "text" as const, align: "left" as const, baseline: "top" as const, dx: 3, dy: 3, fontSize: 11, color: "#c62828" }, encoding: { x: { field: "second", type: "quantitative" as const }, y: { value: 0 }, text: { field: "label" } } },
                  ]
                : []),
        ],
    });
}

export async function renderCanaryReport(e: CanaryEvidence): Promise<string> {
    const j = e.judgement;
    const canaryLabel = `canary ${e.canary} (${e.version})`;
    const baselineLabel = `baseline (${e.baseline.join(", ")})`;
    const label = { canary: canaryLabel, baseline: baselineLabel };
    const sides = { field: "group", type: "nominal" as const, title: null, scale: { domain: [canaryLabel, baselineLabel], range: ["#d95f02", "#1f77b4"] }, legend: { orient: "top" as const, labelLimit: 400 } };
    const markers = markersOf(e);
    // up to 200,000 requests: a loop, not a spread (the stack holds about 100,000 arguments)
    const windowMs = e.requests.reduce((max, r) => Math.max(max, r.t - e.from), Math.max(e.to - e.from, 1));
    const binMs = binWidthMs(windowMs, j.counts.canary);
    const per = binMs === 1000 ? "per second" : `per ${binMs / 1000} s`;
    const bins = latencyOverTime(e.requests, e.canary, e.from, binMs);
    const xSeconds = { field: "second", type: "quantitative" as const, title: "seconds into the bake", scale: { domain: [0, windowMs / 1000] } };

    const latencyRows = bins.flatMap((b) =>
        (["p50", "p90"] as const).flatMap((q) => (b[q] === undefined ? [] : [{ second: b.second + binMs / 2000, group: label[b.side], quantile: q, latencyMs: Math.max(b[q] as number, logFloorMs) }])),
    );
    const latencyOverTimeChart = latencyRows.length
        ? await svg({
              title: { text: `Latency of successful requests over the bake, p50 and p90 ${per}`, subtitle: "solid: p50, dashed: p90; log scale, 0 ms drawn at 0.5 ms; shaded: the canary's warm-up as the judge detected it" },
              width: chartWidth,
              height: chartHeight,
              layer: [
                  {
                      data: { values: latencyRows },
                      mark: { type: "line", point: { size: 12 }, clip: true },
                      encoding: {
                          x: xSeconds,
                          y: { field: "latencyMs", type: "quantitative", title: "latency, ms (log scale)", scale: { type: "log" } },
                          color: sides,
                          strokeDash: { field: "quantile", type: "nominal", title: null, scale: { domain: ["p50", "p90"], range: [[1, 0], [5, 3]] }, legend: null },
                          detail: { field: "quantile" },
                      },
                  },
                  ...markerLayers(markers, j.verdict),
              ],
              resolve: { scale: { color: "independent" } },
          })
        : "";

    const failureRows = bins.map((b) => ({ second: b.second + binMs / 2000, group: label[b.side], share: b.failed / b.requests, failed: b.failed }));
    const failuresChart = failureRows.length
        ? await svg({
              title: { text: `Failed requests ${per}`, subtitle: "share of each side's requests that were not 2xx" },
              width: chartWidth,
              height: 160,
              layer: [
                  {
                      data: { values: failureRows },
                      mark: { type: "line", point: { size: 12 }, clip: true },
                      encoding: { x: xSeconds, y: { field: "share", type: "quantitative", axis: { format: "%" }, title: "failed", scale: { domain: [0, Math.max(0.01, ...failureRows.map((r) => r.share))] } }, color: sides },
                  },
                  ...markerLayers(markers, j.verdict),
              ],
              resolve: { scale: { color: "independent" } },
          })
        : "";

    const ok = e.requests.filter((r) => !isFailed(r));
    const ecdfRows = (["canary", "baseline"] as const).flatMap((side) =>
        ecdf(ok.filter((r) => (r.server === e.canary) === (side === "canary")).map((r) => Math.max(r.latencyMs, logFloorMs))).map((p) => ({ ...p, group: label[side] })),
    );
    const ecdfChart = ecdfRows.length
        ? await svg({
              title: { text: "Latency distribution of successful requests (ECDF)", subtitle: "share of requests at or below a latency; a curve to the right is slower; log scale" },
              width: chartWidth,
              height: chartHeight,
              data: { values: ecdfRows },
              mark: { type: "line", interpolate: "step-after" },
              encoding: {
                  x: { field: "latencyMs", type: "quantitative", title: "latency, ms (log scale)", scale: { type: "log", nice: false } },
                  y: { field: "share", type: "quantitative", title: "share of requests at or below", axis: { format: "%", values: [0, 0.25, 0.5, 0.75, 0.9, 1] }, scale: { domain: [0, 1] } },
                  color: sides,
              },
          })
        : "";

    const short = (name: string) => (name.length > 70 ? `${name.slice(0, 69)}…` : name);
    const evidenceRows = (j.history ?? []).flatMap((p) =>
        Object.entries(p.evidence)
            .filter(([, v]) => Number.isFinite(v))
            .map(([check, v]) => ({ canary: p.canary, check: short(check), evidence: Math.max(v, evidenceFloor) })),
    );
    const verdictRule = j.verdict === "pass" || j.verdict === "fail" ? [{ canary: j.decidedAfter, label: `verdict: ${j.verdict}` }] : [];
    const evidenceChart = evidenceRows.length
        ? await svg({
              title: { text: "Each check's evidence against \"no worse than the baseline\" on the way to the verdict", subtitle: [`log10(e-value / the check's threshold): a check fails when it reaches 0 (latency: when the slowness also outlasts the canary's warm-up,`, `see its detail); values below ${evidenceFloor} drawn at ${evidenceFloor}; dotted: the verdict`] },
              width: chartWidth,
              height: chartHeight,
              layer: [
                  {
                      data: { values: evidenceRows },
                      mark: { type: "line" },
                      encoding: {
                          x: { field: "canary", type: "quantitative", title: "canary requests judged" },
                          y: { field: "evidence", type: "quantitative", title: "log10(evidence / threshold)", scale: { domainMax: evidenceRows.reduce((max, r) => Math.max(max, r.evidence), 0.5) } },
                          color: { field: "check", type: "nominal", title: null, scale: { scheme: "dark2" }, legend: { orient: "bottom", columns: 1, labelLimit: 520, symbolStrokeWidth: 3 } },
                      },
                  },
                  { data: { values: [{ y: 0, label: "fails here" }] }, layer: [{ mark: { type: "rule", color: "#c62828", strokeDash: [4, 3] }, encoding: { y: { field: "y", type: "quantitative" } } }, { mark: { type: "text", align: "right", baseline: "bottom", dx: -2, color: "#c62828", fontSize: 11 }, encoding: { y: { field: "y", type: "quantitative" }, x: { value: chartWidth }, text: { field: "label" } } }] },
                  ...(verdictRule.length ? [{ data: { values: verdictRule }, mark: { type: "rule" as const, color: "#555", strokeDash: [2, 2] }, encoding: { x: { field: "canary", type: "quantitative" as const } } }] : []),
              ],
          })
        : "";

    const checkRows = j.checks
        .map(
            (c) =>
                `<tr class="${c.verdict}"><td>${escapeHtml(c.name)}</td><td>${c.verdict}</td><td>${sci(c.evidence)} / ${sci(c.threshold)}</td>` +
                `<td>${c.interval ? `${escapeHtml(c.effect)} ${bound(c.interval.lower)}..${bound(c.interval.upper)}` : ""}</td><td>${c.crossedAfter ?? ""}</td><td>${c.canaryRequests}</td><td>${escapeHtml(c.detail)}</td></tr>`,
        )
        .join("\n");
    const newErrors = j.checks.filter((c) => c.name.startsWith("new-error: "));

    const routes = perRoute(e.requests, e.canary);
    const sideCells = (s: SideFigures) => `<td class="n">${s.requests}</td><td class="n">${s.failed ? `<b>${s.failed}</b>` : "0"}</td><td class="n">${ms(s.p50)}</td><td class="n">${ms(s.p99)}</td>`;
    const ratio = (c: SideFigures, b: SideFigures) => (c.p50 !== undefined && b.p50 !== undefined && b.p50 > 0 ? `${(c.p50 / b.p50).toFixed(2)}x` : "");
    const routeTable = routes.length
        ? `<table class="routes"><tr><th rowspan="2">route</th><th colspan="4">${escapeHtml(canaryLabel)}</th><th colspan="4">${escapeHtml(baselineLabel)}</th><th rowspan="2">p50 canary / baseline</th></tr>
<tr><th>requests</th><th>failed</th><th>p50 ms</th><th>p99 ms</th><th>requests</th><th>failed</th><th>p50 ms</th><th>p99 ms</th></tr>
${routes
    .slice(0, maxRoutes)
    .map((r) => `<tr><td><code>${escapeHtml(r.route)}</code></td>${sideCells(r.canary)}${sideCells(r.baseline)}<td class="n">${ratio(r.canary, r.baseline)}</td></tr>`)
    .join("\n")}
</table>${routes.length > maxRoutes ? `<p>${routes.length - maxRoutes} quieter routes not shown.</p>` : ""}`
        : "<p>No requests in the window.</p>";

    const templates = [...(e.appLogTemplates ?? [])].sort((a, b) => Number(a.known ?? false) - Number(b.known ?? false) || b.canaryLines - a.canaryLines || b.baselineLines - a.baselineLines);
    const firstSeen = (t: number | undefined) => (t === undefined ? "" : seconds(e.from, t));
    const templateTable = `<h2>Error templates in the app's log during the bake</h2>
${
    templates.length
        ? `<p>Every error line the servers logged in the window, grouped into templates (<code>&lt;*&gt;</code>: where its lines differ). New: the stable servers had not logged it before the bake; only new ones can fail the canary.</p>
<table><tr><th>template</th><th>before the bake</th><th>canary lines</th><th>canary first seen</th><th>baseline lines</th><th>baseline first seen</th></tr>
${templates
    .map(
        (t) =>
            `<tr class="${!t.known && t.baselineLines === 0 ? "fail" : ""}"><td><code>${escapeHtml(t.template)}</code></td><td>${t.known ? "known" : "<b>new</b>"}</td><td class="n">${t.canaryLines}</td><td>${firstSeen(t.canaryFirstSeen)}</td><td class="n">${t.baselineLines}</td><td>${firstSeen(t.baselineFirstSeen)}</td></tr>`,
    )
    .join("\n")}
</table>`
        : "<p>None: no server logged an error line in the window.</p>"
}`;

    const metricCharts = await Promise.all((e.metrics ?? []).map(async (m) => ({ m, body: await metricChart(e, m, canaryLabel) })));
    const metricSection = e.metrics
        ? `<h2 id="metrics">Metrics</h2>
<p>Each metric check's values as it read them from ${escapeHtml(metricSources(e.metrics))}: the canary's and the baseline's it was compared with.</p>
<div class="charts">
${metricCharts
    .map(({ m, body }) => `<div id="${escapeHtml(metricAnchor(m.name))}">${body ? `<figure>${body}</figure>` : `<figure class="empty"><p>Metric ${escapeHtml(m.name)}: no data in the window${m.why ? ` (${escapeHtml(m.why)})` : ""}.</p></figure>`}</div>`)
    .join("\n")}
</div>`
        : "";
    const chart = (title: string, body: string) => (body ? `<figure>${body}</figure>` : `<figure class="empty"><p>${escapeHtml(title)}: no data in the window.</p></figure>`);
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>Canary ${escapeHtml(e.canary)} (${escapeHtml(e.version)}): ${j.verdict}</title>
<style>
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 .pass { color: #1a7f37; } h1 .fail { color: #c62828; } h1 .inconclusive, h1 .undecided { color: #9a6700; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f4; }
tr.fail td { background: #fde8e8; } .charts { display: flex; flex-wrap: wrap; gap: 1.5em; } figure { margin: 0; }
</style></head>
<body>
<h1>Canary ${escapeHtml(e.canary)} on ${escapeHtml(e.version)}: <span class="${j.verdict}">${j.verdict}</span></h1>
<p>Compared with ${escapeHtml(e.baseline.join(", "))} from ${time(e.from)} for ${seconds(e.from, e.to)}:
${j.counts.canary} canary requests, ${j.counts.baseline} baseline requests.</p>
<p>Decided ${j.verdict === "fail" && j.decidedAfter === 0 ? "before any canary request was judged (on a metric check)" : `after ${j.decidedAfter} canary requests`}${markers.verdict !== undefined ? `, ${markers.verdict.toFixed(1)} s into the bake` : ""} (${j.warmup} of them the canary's warm-up${markers.warmupEnd ? `, ${markers.warmupEnd.over ? "over" : "still going"} at ${markers.warmupEnd.second.toFixed(1)} s` : ""}).${j.ruledOut.length && j.verdict !== "fail" ? ` Ruled out: ${escapeHtml(j.ruledOut.join(", "))}.` : ""}</p>
<table><tr><th>check</th><th>verdict</th><th>evidence / threshold</th><th>interval</th><th>crossed after (canary requests)</th><th>canary requests used</th><th>detail</th></tr>
${checkRows}
</table>
<div class="charts">
${chart("Latency over the bake", latencyOverTimeChart)}
${chart("Latency distribution", ecdfChart)}
${chart("Evidence", evidenceChart)}
${chart("Failed requests", failuresChart)}
</div>
${metricSection}
<h2>Per route</h2>
<p>Route: method and path with ids masked. Latency of successful requests.</p>
${routeTable}
<h2>New error signatures</h2>
${newErrors.length ? `<ul>${newErrors.map((c) => `<li>${escapeHtml(c.name.slice("new-error: ".length))}: ${escapeHtml(c.detail)}${c.firstSeen !== undefined ? `; first seen ${seconds(e.from, c.firstSeen)} into the bake (${time(c.firstSeen)})` : ""}</li>`).join("")}</ul>` : "<p>None: every error the canary showed, the baseline showed too.</p>"}
${e.appLogTemplates ? templateTable : ""}
</body></html>
`;
}
