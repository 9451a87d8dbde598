// npm run demo [-- --keep]: the main job on the local default (ports: ZDR_LB_PORT, ZDR_APP_BASE_PORT,
// ZDR_DB_PORT, ZDR_PROMETHEUS_PORT; 8080, 9201-9203, 55433 and 9195-9197 by default). Brings the local stack up on v1,
// releases v2 stage by stage (canaryCount 1, 2, 3, then promotion) under continuous HTTP load,
// judging each canary against the servers still on v1 for 6 s after its reattach, prints a
// report (with HAProxy's own per-server counters: retries, redispatches, errors; any above 0
// fails the demo as a failed request does), writes .zdr/demo-report.json (and .html) and tears the stack down.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { engineEnv, projectRoot, pulumiCommand } from "../src/engine";
import { localStackApp, setThrowawaySecrets } from "../src/stack-file";
import { startLoad } from "../src/load/traffic";
import { readCounters, sampleCounters } from "../src/haproxy/counters";
import { checkOneAtATime, counterProblems, formatReport, formatReportHtml, readEvents, readVerdicts, ReleaseReport } from "../src/release/report";
import { runStage, Stage, StageResult } from "../src/release/stages";

const program = new Command("demo")
    .description("staged release v1 -> v2 of the local webshop under load")
    .option("--keep", "leave the local stack running afterwards")
    .parse();
const keep = Boolean(program.opts().keep);

const stackName = "demo";
const stateDir = path.join(projectRoot, ".zdr/state");
const eventsFile = path.join(projectRoot, ".zdr/local", stackName, "events.jsonl");
const reportFile = path.join(projectRoot, ".zdr/demo-report.json");

const baseline: Stage = {
    name: "v1 everywhere",
    config: { ...localStackApp(projectRoot), stableVersion: "v1", releaseVersion: "", canaryCount: "0", pins: null, appBasePort: process.env.ZDR_APP_BASE_PORT ?? "9201", dbPort: process.env.ZDR_DB_PORT ?? "55433", prometheusPort: process.env.ZDR_PROMETHEUS_PORT ?? "9195", drainTimeoutSeconds: "10", healthCheckIntervalMs: "250", healthTimeoutSeconds: "30", bakeSeconds: "6" },
};
const stages: Stage[] = [
    { name: "canary 1 (web-1 on v2)", config: { releaseVersion: "v2", canaryCount: "1" } },
    { name: "canary 2", config: { canaryCount: "2" } },
    { name: "canary 3", config: { canaryCount: "3" } },
    { name: "promote v2 to stable", config: { stableVersion: "v2", releaseVersion: "", canaryCount: "0" } },
];

function progress(line: string) {
    const l = line.trim();
    if (/zdr:(haproxy|local|postgres):\w+ .*(creat|delet|replac)/.test(l) || /^error/i.test(l)) {
        process.stdout.write(`    ${l}\n`);
    }
}

async function main(): Promise<number> {
    const lbPort = process.env.ZDR_LB_PORT ?? "8080";
    console.log(`zdr demo: preparing the engine and the stack "${stackName}" (state in ${stateDir})`);
    const ws = await LocalWorkspace.create({ workDir: projectRoot, pulumiCommand: await pulumiCommand(), envVars: engineEnv(stateDir) });
    const stack = await Stack.createOrSelect(stackName, ws);
    await setThrowawaySecrets(stack, randomBytes(12).toString("base64url"));
    await stack.destroy({ onOutput: () => undefined });
    fs.rmSync(path.dirname(eventsFile), { recursive: true, force: true });

    console.log(`\n== ${baseline.name}: HAProxy on 127.0.0.1:${lbPort}, 3 webshop servers, PostgreSQL`);
    const first = await runStage(stack, baseline, progress);
    if (!first.ok) {
        console.error(first.error);
        return 1;
    }
    const startedAt = Date.now();
    const load = startLoad(`http://127.0.0.1:${lbPort}`, { rate: 200, connections: 8, maxSeconds: 600 });
    // HAProxy's own per-server counters beside the load's count (retries and redispatches hide a server stopped mid-request)
    const master = path.join(projectRoot, ".zdr/local", stackName, "haproxy-master.sock");
    const backend = String(baseline.config.appName ?? "webshop");
    const counters = sampleCounters(master, backend, 900, await readCounters(master, backend));
    const results: StageResult[] = [first];
    let failedStage = false;
    for (const stage of stages) {
        console.log(`\n== ${stage.name}: ${Object.entries(stage.config).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`);
        const r = await runStage(stack, stage, progress);
        results.push(r);
        console.log(`   ${r.ok ? "done" : "FAILED"} in ${(r.durationMs / 1000).toFixed(1)} s: ${r.servers.map((s) => `${s.name}=${s.version}`).join(" ")}`);
        if (!r.ok) {
            console.error(r.error);
            failedStage = true;
            break;
        }
        await new Promise((res) => setTimeout(res, 2000)); // let the new stage serve for a moment
    }
    const traffic = await load.stop();
    const haproxy = await counters.stop();
    const events = readEvents(eventsFile, startedAt);
    const judgements = path.join(projectRoot, ".zdr/local", stackName, "judgements");
    const report: ReleaseReport = {
        startedAt,
        stages: results.map(({ name, config, ok, error, durationMs, startedAt: stageStart, servers }) => ({ name, config, ok, error, durationMs, startedAt: stageStart, servers })),
        traffic,
        events,
        verdicts: readVerdicts(judgements, startedAt, path.dirname(reportFile)),
        haproxy,
    };
    fs.writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    const htmlFile = reportFile.replace(/\.json$/, ".html");
    fs.writeFileSync(htmlFile, await formatReportHtml(report));
    console.log(`\n${formatReport(report)}\n\nreport written to ${path.relative(process.cwd(), reportFile)} and ${path.relative(process.cwd(), htmlFile)}`);
    if (fs.existsSync(judgements)) {
        console.log("\ncanary judgements (open in a browser):");
        for (const f of fs.readdirSync(judgements).filter((x) => x.endsWith(".html")).sort()) {
            console.log(`  ${path.relative(process.cwd(), path.join(judgements, f))}`);
        }
    }
    const orderProblems = checkOneAtATime(events);
    for (const p of orderProblems) {
        console.error(`order problem: ${p}`);
    }
    const hidden = counterProblems(report);
    for (const p of hidden) {
        console.error(`HAProxy counted: ${p}`);
    }

    if (keep) {
        console.log(`\nThe stack "${stackName}" keeps running. Stop it with:\n  scripts/pulumi destroy --stack ${stackName} --yes`);
    } else {
        console.log(`\ntearing the stack "${stackName}" down`);
        await stack.destroy({ onOutput: () => undefined });
        await ws.removeStack(stackName);
    }
    return failedStage || traffic.failed > 0 || orderProblems.length > 0 || hidden.length > 0 ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`zdr demo failed: ${e instanceof Error ? e.message : e}`);
        process.exit(1);
    },
);
