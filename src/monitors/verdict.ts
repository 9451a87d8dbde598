// The judgement's verdict with the metric checks beside the request checks (src/canary/judge.ts):
//   fail          any check failed, a request check or a metric check (each within its share of
//                 alpha, at any look: a check that crossed after the request judge's early pass
//                 still fails the canary);
//   pass          the request judge passed and every metric check passed (its pass side crossed,
//                 its data there);
//   inconclusive  otherwise at the end of the bake, e.g. a metric check with no data (Prometheus
//                 down, the canary not scraped): never read as "no regression".
import type { Judgement } from "../canary/judge";
import type { MetricJudge } from "./metric-judge";

export function withMetrics(j: Judgement, metrics: MetricJudge, final = true): Judgement {
    const checks = [...j.checks, ...metrics.checks()];
    const failed = checks.some((c) => c.verdict === "fail");
    const passed = j.verdict === "pass" && metrics.allPassed();
    const verdict = failed ? "fail" : passed ? "pass" : final ? "inconclusive" : "undecided";
    return { ...j, verdict, checks };
}
