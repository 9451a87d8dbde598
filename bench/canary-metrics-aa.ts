// A/A of the canary's metric checks on the real engine: a throwaway local stack (three servers of
// the sample webshop, its own Prometheus), healthy v2 canaries released one after another under
// the shop's load with a 60 s bake, each rolled back; every metric check's steps beyond its
// tolerance and its largest evidence over the bake (log10 of evidence / threshold: 0 fails) are
// printed, from the evidence kept beside each judgement (<report>.metrics.json), recomputed step
// by step with the same sign test. A healthy canary against its fresh baseline (a v1 process
// started with its bake, what the metric checks compare it with on the local default): every
// metric check that fails is a false failure. At the end: canaries run, and the failures per check.
// With another version (cpuhog: twice the CPU per request), the same runs show the checks' power:
// there a failure of cpu-per-request is the right verdict. Each run prints each check's
// canary/baseline ratios over its judged steps (lowest/median/highest), the machine's load average at the bake's start and end, and, for
// comparison on the same bake, sessions 7-8's cpu-per-request (a ratio of 10 s rates, judged from
// 15 s) read from the stack's Prometheus: its steps' ratios (lowest, median, highest), how many
// were beyond 1.5x, and whether the same sign test would have failed it.
//   npx ts-node --transpile-only bench/canary-metrics-aa.ts [runs=4] [bake=60] [maxMinutes=∞] [version=v2]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultAlpha, failWeights } from "../src/canary/judge";
import { startLoad } from "../src/load/traffic";
import { runStage } from "../src/release/stages";
import { median, SignBet } from "../src/monitors/sign-sequence";
import { PrometheusClient } from "../src/monitors/prometheus";
import { openLocalStack } from "../test/support/local-stack";

/** Sessions 7-8's cpu-per-request, for comparison: a ratio of 10 s rates at each step. */
const rateQuery = (server: string) => `sum(rate(zdr_server_cpu_seconds_total{server="${server}"}[10s])) / sum(rate(haproxy_server_http_responses_total{server="${server}"}[10s]))`;

/** The 10 s rates' ratios over the bake's steps from 15 s, and the sign test on them at `threshold`. */
async function rateRatios(url: string, canary: string, baseline: string, from: number, to: number, threshold: number): Promise<string> {
    const client = new PrometheusClient(url);
    const start = Math.ceil(from / 1000 + 15);
    const end = Math.floor(to / 1000);
    if (end <= start) {
        return "10 s rates: no step after 15 s";
    }
    const [c, b] = await Promise.all([canary, baseline].map((s) => client.queryRange({ query: rateQuery(s), start, end, stepSeconds: 1 })));
    const base = new Map((b[0]?.values ?? []).map(([t, v]) => [t, v]));
    const ratios = (c[0]?.values ?? []).filter(([t, v]) => Number.isFinite(v) && Number.isFinite(base.get(t) ?? NaN)).map(([t, v]) => v / (base.get(t) as number));
    const bet = new SignBet();
    let failedAt: number | undefined;
    ratios.forEach((r, i) => {
        bet.add(r > 1.5);
        if (failedAt === undefined && bet.logEvidence() >= Math.log(threshold)) {
            failedAt = i + 1;
        }
    });
    const sorted = [...ratios].sort((x, y) => x - y);
    return ratios.length === 0
        ? "10 s rates: no step read"
        : `10 s rates: ${sorted[0].toFixed(2)}/${median(sorted).toFixed(2)}/${sorted[sorted.length - 1].toFixed(2)}x, beyond 1.5x ${ratios.filter((r) => r > 1.5).length}/${ratios.length}, ${failedAt !== undefined ? `would fail at step ${failedAt}` : "would not fail"}`;
}

interface Point {
    readonly worse: boolean;
    readonly canary: number;
    readonly baseline: Record<string, number>;
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 4);
    const bake = process.argv[3] ?? "60";
    // no run starts after this (each takes about three minutes on the busy machine)
    const stopAt = Date.now() + Number(process.argv[4] ?? Infinity) * 60_000;
    const version = process.argv[5] ?? "v2";
    const failures: Record<string, number> = {};
    let done = 0;
    // twice the CPU slows a canary's requests on a starved machine: the latency and tail checks would
    // end its bake before the metric checks decide (at a load of 21-35 a request check, the tail
    // check in the 6 named, failed 8 of 11 cpuhog canaries 13-30 s in), so as in
    // test/e2e/canary-metrics.test.ts they are left out of every other version's bakes
    // (canaryWarmupSeconds: the whole bake; errors still counted)
    const local = await openLocalStack("bench-metrics-aa", { bakeSeconds: bake, canaryLatencyFloorMs: "20", canaryWarmupSeconds: version === "v2" ? "10" : bake });
    const prometheus = `http://127.0.0.1:${(await local.stack.getConfig("zdr:prometheusPort")).value}`;
    try {
        for (let run = 1; run <= runs && Date.now() < stopAt; run++) {
            const load = startLoad(local.lbUrl, { rate: 150, connections: 6, maxSeconds: 400 });
            const loadBefore = os.loadavg()[0];
            const result = await runStage(local.stack, { name: `${version} canary ${run}`, config: { releaseVersion: version, canaryCount: "1" } });
            await load.stop();
            const file = path.join(local.dir, `judgements/web-1-${version}.metrics.json`);
            const evidence = JSON.parse(fs.readFileSync(file, "utf8")) as { baseline?: string[]; checks: { name: string; verdict: string; points: Point[]; steps: { judged: number; warmup: number; missing: number } }[] };
            done++;
            for (const c of evidence.checks.filter((x) => x.verdict === "fail")) {
                failures[c.name] = (failures[c.name] ?? 0) + 1;
            }
            const threshold = 1 / ((defaultAlpha * failWeights.metrics) / evidence.checks.length);
            const rows = evidence.checks.map((c) => {
                const bet = new SignBet();
                let max = -Infinity;
                for (const p of c.points) {
                    bet.add(p.worse);
                    max = Math.max(max, bet.logEvidence());
                }
                const worse = c.points.filter((p) => p.worse).length;
                const ratios = c.points.map((p) => p.canary / median(Object.values(p.baseline))).sort((x, y) => x - y);
                const spread = ratios.length > 0 ? `${ratios[0].toFixed(2)}/${median(ratios).toFixed(2)}/${ratios[ratios.length - 1].toFixed(2)}x` : "no step";
                return `${c.name} ${c.verdict} beyond ${worse}/${c.points.length} max ${((max - Math.log(threshold)) / Math.LN10).toFixed(2)} ratios ${spread}`;
            });
            // a request check that failed ends the bake before the metric checks decide: said with its detail
            const report = JSON.parse(fs.readFileSync(file.replace(/\.metrics\.json$/, ".json"), "utf8")) as { from: number; to: number; freshBaseline?: { joinedAt?: number }; checks: { name: string; verdict: string; detail: string }[] };
            const requestFailures = report.checks.filter((c) => c.verdict === "fail" && !c.name.startsWith("metric: ")).map((c) => `${c.name} failed (${c.detail})`);
            const baseline = evidence.baseline?.[0];
            const rates = baseline ? await rateRatios(prometheus, "web-1", baseline, report.freshBaseline?.joinedAt ?? report.from, report.to, threshold).catch((e: Error) => `10 s rates: ${e.message}`) : "";
            console.log(`run ${run} (${new Date().toISOString()}, load ${loadBefore.toFixed(0)}-${os.loadavg()[0].toFixed(0)}): up ${result.ok ? "ok" : "failed"}, against ${(evidence.baseline ?? []).join(", ")}; ${[...rows, ...requestFailures, rates].join("; ")}`);
            fs.renameSync(file, file.replace(/\.json$/, `.${run}.json`));
            const back = await runStage(local.stack, { name: "roll back", config: { releaseVersion: "", canaryCount: "0" } });
            if (!back.ok) {
                throw new Error(back.error);
            }
        }
    } finally {
        console.log(`${done} ${version} canaries judged; metric checks failed: ${Object.keys(failures).length ? JSON.stringify(failures) : "none"}`);
        await local.close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
