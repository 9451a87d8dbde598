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
# Ports below the kernel's ephemeral range (ip_local_port_range, 32768-60999 here): a port the
# kernel hands out for listen(0) is also a source port for outgoing connections, and on a busy
# machine (load generators) one of them took a server's port between this check and its start
# (session 9, run 8: EADDRINUSE). Below the range only another listener can take it.
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
free_port() { node -e 'const p=10000+Math.floor(Math.random()*(+process.argv[1]-10003));const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(p,"127.0.0.1",()=>{console.log(p);s.close()})' "$low"; }
for n in $(seq 1 "$runs"); do
  dir="$out/run-$n"
  mkdir -p "$dir"
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  # three consecutive free ports for the servers: a free port's neighbours, checked
  base=
  for _ in $(seq 1 100); do
    b=$(free_port) || continue
    if node -e 'const n=require("net");let ok=0;for(const p of [1,2].map(i=>+process.argv[1]+i)){const s=n.createServer();s.once("error",()=>process.exit(1));s.listen(p,"127.0.0.1",()=>{s.close();if(++ok===2)process.exit(0)})}' "$b"; then base=$b; break; fi
  done
  [ -n "$base" ] || { echo "no three free ports below $low after 100 tries" >&2; exit 1; }
  # HAProxy's and PostgreSQL's ports: free, and none of the servers'
  for _ in $(seq 1 50); do
    lb=$(free_port) || continue
    db=$(free_port) || continue
    if [ "$lb" -ne "$db" ] && { [ "$lb" -lt "$base" ] || [ "$lb" -gt $((base + 2)) ]; } && { [ "$db" -lt "$base" ] || [ "$db" -gt $((base + 2)) ]; }; then break; fi
  done
  # Prometheus and its two exporters: three more consecutive free ports, none of the above (the
  # default 9195-9197 may be another stack's: two stacks at once collided on their exporters)
  prom=
  for _ in $(seq 1 100); do
    b=$(free_port) || continue
    if [ "$b" -gt $((base + 2)) ] || [ $((b + 2)) -lt "$base" ]; then
      if [ "$lb" -lt "$b" ] || [ "$lb" -gt $((b + 2)) ]; then
        if { [ "$db" -lt "$b" ] || [ "$db" -gt $((b + 2)) ]; } && node -e 'const n=require("net");let ok=0;for(const p of [1,2].map(i=>+process.argv[1]+i)){const s=n.createServer();s.once("error",()=>process.exit(1));s.listen(p,"127.0.0.1",()=>{s.close();if(++ok===2)process.exit(0)})}' "$b"; then prom=$b; break; fi
      fi
    fi
  done
  [ -n "$prom" ] || { echo "no three free ports for Prometheus below $low after 100 tries" >&2; exit 1; }
  started=$(date -u +%H:%M:%S)
  ZDR_LB_PORT=$lb ZDR_APP_BASE_PORT=$base ZDR_DB_PORT=$db ZDR_PROMETHEUS_PORT=$prom timeout 900 npm run demo > "$dir/output.txt" 2>&1
  rc=$?
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  cp .zdr/demo-report.json .zdr/demo-report.html "$dir/" 2>/dev/null
  cp -r .zdr/local/demo/judgements "$dir/" 2>/dev/null
  # a failed run keeps its evidence: HAProxy's log and the servers' logs (the next run removes them)
  [ "$rc" -ne 0 ] && cp -r .zdr/local/demo/haproxy.log .zdr/local/demo/logs "$dir/" 2>/dev/null
  verdicts=$(for f in "$dir"/judgements/*.json; do case "$f" in *.metrics.json) continue ;; esac; [ -f "$f" ] && node -e 'const j=require(process.argv[1]);const f=j.checks.filter(c=>c.verdict==="fail").map(c=>c.name).join("+");console.log(`${j.canary}=${j.verdict}${f?"("+f+")":""}@${j.decidedAfter}`)' "$(realpath "$f")"; done | tr '\n' ' ')
  echo "run $n $started rc=$rc load ${load_before}->${load_after} verdicts: $verdicts" | tee -a "$summary"
done
