#!/usr/bin/env bash
# `npm run demo` again and again (issue 24: 20 of 20 on a busy machine), on free loopback ports,
# recording each run's exit code, its canary verdicts and the machine's load average before and
# after. Each run's output, report and judgements are kept in <out>/run-<n>/.
#   bash bench/demo-runs.sh [runs=20] [out=.zdr/demo-runs]
# Bounded: at most <runs> runs, each stopped after 15 minutes.
set -u
runs=${1:-20}
out=${2:-.zdr/demo-runs}
mkdir -p "$out"
summary="$out/summary.txt"
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
for n in $(seq 1 "$runs"); do
  dir="$out/run-$n"
  mkdir -p "$dir"
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  # three consecutive free ports for the servers: a free port's neighbours, checked
  while :; do
    base=$(free_port)
    if [ "$base" -lt 60000 ] && node -e 'const n=require("net");let ok=0;for(const p of [1,2].map(i=>+process.argv[1]+i)){const s=n.createServer();s.once("error",()=>process.exit(1));s.listen(p,"127.0.0.1",()=>{s.close();if(++ok===2)process.exit(0)})}' "$base"; then break; fi
  done
  # HAProxy's and PostgreSQL's ports: free, and none of the servers' (the kernel may hand out base+1 next)
  for _ in $(seq 1 50); do
    lb=$(free_port); db=$(free_port)
    if [ "$lb" -ne "$db" ] && { [ "$lb" -lt "$base" ] || [ "$lb" -gt $((base + 2)) ]; } && { [ "$db" -lt "$base" ] || [ "$db" -gt $((base + 2)) ]; }; then break; fi
  done
  started=$(date -u +%H:%M:%S)
  ZDR_LB_PORT=$lb ZDR_APP_BASE_PORT=$base ZDR_DB_PORT=$db timeout 900 npm run demo > "$dir/output.txt" 2>&1
  rc=$?
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  cp .zdr/demo-report.json .zdr/demo-report.html "$dir/" 2>/dev/null
  cp -r .zdr/local/demo/judgements "$dir/" 2>/dev/null
  # a failed run keeps its evidence: HAProxy's log and the servers' logs (the next run removes them)
  [ "$rc" -ne 0 ] && cp -r .zdr/local/demo/haproxy.log .zdr/local/demo/logs "$dir/" 2>/dev/null
  verdicts=$(for f in "$dir"/judgements/*.json; do [ -f "$f" ] && node -e 'const j=require(process.argv[1]);const f=j.checks.filter(c=>c.verdict==="fail").map(c=>c.name).join("+");console.log(`${j.canary}=${j.verdict}${f?"("+f+")":""}@${j.decidedAfter}`)' "$(realpath "$f")"; done | tr '\n' ' ')
  echo "run $n $started rc=$rc load ${load_before}->${load_after} verdicts: $verdicts" | tee -a "$summary"
done
