// The canary report for people: one HTML page per judged canary, charts drawn with vega-lite
// and rendered to static SVG on our side (the page needs no script and no network).
import * as vega from "vega";
import * as vl from "vega-lite";
import type { LoggedRequest } from "./evidence";
import type { AppLogTemplate } from "./app-log";
import type { Judgement } from "./judge";

export interface CanaryEvidence {
    readonly canary: string;
    readonly version: string;
    readonly baseline: readonly string[];
    readonly from: number;
    readonly to: number;
    readonly judgement: Judgement;
    readonly requests: readonly LoggedRequest[];
    /** Error templates of the app's own log lines in the window, not known before it. @default - none read */
    readonly appLogTemplates?: readonly AppLogTemplate[];
}

async function svg(spec: vl.TopLevelSpec): Promise<string> {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
    return view.toSVG();
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

export async function renderCanaryReport(e: CanaryEvidence): Promise<string> {
    const group = (r: LoggedRequest) => (r.server === e.canary ? `canary ${e.canary} (${e.version})` : "baseline");
    const rows = e.requests.map((r) => ({
        group: group(r),
        second: Math.floor((r.t - e.from) / 1000),
        latencyMs: r.latencyMs,
        failed: r.status < 200 || r.status >= 300 ? 1 : 0,
    }));
    const colors = { field: "group", type: "nominal" as const, title: null, legend: { labelLimit: 300 } };
    const latency = await svg({
        title: "Latency of successful requests",
        width: 520,
        height: 200,
        data: { values: rows.filter((r) => r.failed === 0) },
        transform: [{ density: "latencyMs", groupby: ["group"], as: ["latencyMs", "density"] }],
        mark: { type: "area", opacity: 0.5 },
        encoding: { x: { field: "latencyMs", type: "quantitative", title: "ms" }, y: { field: "density", type: "quantitative", stack: null }, color: colors },
    });
    const errors = await svg({
        title: "Failed requests per second",
        width: 520,
        height: 200,
        data: { values: rows },
        transform: [{ aggregate: [{ op: "mean", field: "failed", as: "errorRate" }], groupby: ["group", "second"] }],
        mark: { type: "line", point: true },
        encoding: { x: { field: "second", type: "quantitative", title: "seconds into the bake" }, y: { field: "errorRate", type: "quantitative", axis: { format: "%" }, title: "error rate" }, color: colors },
    });
    const bound = (x: number) => (x === Infinity ? "∞" : x.toFixed(2));
    const evidenceRows = (e.judgement.history ?? []).flatMap((p) => Object.entries(p.evidence).filter(([, v]) => Number.isFinite(v)).map(([check, v]) => ({ canary: p.canary, check, evidence: v })));
    const evidence = evidenceRows.length
        ? await svg({
              title: "Evidence against \"no worse\", relative to each check's threshold (fails at 0)",
              width: 520,
              height: 200,
              data: { values: evidenceRows },
              layer: [
                  { mark: { type: "line" }, encoding: { x: { field: "canary", type: "quantitative", title: "canary requests" }, y: { field: "evidence", type: "quantitative", title: "log10(evidence / threshold)" }, color: { field: "check", type: "nominal", title: null, legend: { labelLimit: 300 } } } },
                  { mark: { type: "rule", strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } },
              ],
          })
        : "";
    const checkRows = e.judgement.checks
        .map(
            (c) =>
                `<tr class="${c.verdict}"><td>${escape(c.name)}</td><td>${c.verdict}</td><td>${c.evidence.toExponential(1)} / ${c.threshold.toExponential(1)}</td>` +
                `<td>${c.interval ? `${escape(c.effect)} ${bound(c.interval.lower)}..${bound(c.interval.upper)}` : ""}</td><td>${c.crossedAfter ?? ""}</td><td>${c.canaryRequests}</td><td>${escape(c.detail)}</td></tr>`,
        )
        .join("\n");
    const newErrors = e.judgement.checks.filter((c) => c.name.startsWith("new-error: "));
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>Canary ${escape(e.canary)} (${escape(e.version)}): ${e.judgement.verdict}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 .pass { color: #1a7f37; } h1 .fail { color: #c62828; } h1 .inconclusive { color: #9a6700; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
tr.fail td { background: #fde8e8; } .charts { display: flex; flex-wrap: wrap; gap: 2em; }
</style></head>
<body>
<h1>Canary ${escape(e.canary)} on ${escape(e.version)}: <span class="${e.judgement.verdict}">${e.judgement.verdict}</span></h1>
<p>Compared with ${escape(e.baseline.join(", "))} from ${new Date(e.from).toISOString()} to ${new Date(e.to).toISOString()}:
${e.judgement.counts.canary} canary requests, ${e.judgement.counts.baseline} baseline requests.</p>
<p>Decided after ${e.judgement.decidedAfter} canary requests (${e.judgement.warmup} of them the canary's warm-up).${e.judgement.ruledOut.length && e.judgement.verdict !== "fail" ? ` Ruled out: ${escape(e.judgement.ruledOut.join(", "))}.` : ""}</p>
<table><tr><th>check</th><th>verdict</th><th>evidence / threshold</th><th>interval</th><th>crossed after (canary requests)</th><th>canary requests used</th><th>detail</th></tr>
${checkRows}
</table>
<h2>New error signatures</h2>
${newErrors.length ? `<ul>${newErrors.map((c) => `<li>${escape(c.name.slice("new-error: ".length))}: ${escape(c.detail)}${c.firstSeen !== undefined ? `; first seen ${new Date(c.firstSeen).toISOString()}` : ""}</li>`).join("")}</ul>` : "<p>None: every error the canary showed, the baseline showed too.</p>"}
${e.appLogTemplates ? `<h2>Error templates in the app's log during the bake</h2>
${e.appLogTemplates.length ? `<table><tr><th>template</th><th>canary lines</th><th>canary first seen</th><th>baseline lines</th><th>baseline first seen</th></tr>
${e.appLogTemplates.map((t) => `<tr class="${t.baselineLines === 0 ? "fail" : ""}"><td>${escape(t.template)}</td><td>${t.canaryLines}</td><td>${t.canaryFirstSeen !== undefined ? new Date(t.canaryFirstSeen).toISOString() : ""}</td><td>${t.baselineLines}</td><td>${t.baselineFirstSeen !== undefined ? new Date(t.baselineFirstSeen).toISOString() : ""}</td></tr>`).join("\n")}
</table>` : "<p>None: no server logged an error line the stable servers had not logged before.</p>"}` : ""}
<div class="charts">${evidence ? `<div>${evidence}</div>` : ""}<div>${latency}</div><div>${errors}</div></div>
</body></html>
`;
}
