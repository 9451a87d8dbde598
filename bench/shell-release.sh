#!/usr/bin/env bash
# The same staged release as zdr's, done by hand against HAProxy's runtime API: for each
# server, drain it, stop the old app process, start the new version, wait for its health,
# reattach it and wait until HAProxy sees it UP. The baseline for bench/stage-overhead.ts.
# Prints one JSON line per step: {"server","step","phase","t"}; prints the new pids at the end.
# Usage: bench/shell-release.sh SOCKET VERSION LOGDIR "name:port:pid ..." (PG* env for the app)
set -euo pipefail
sock=$1 version=$2 logdir=$3 servers=$4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
api() { echo "$1" | socat -t 5 - "UNIX-CONNECT:$sock"; }
now() { date +%s%3N; }
event() { printf '{"server":"%s","step":"%s","phase":"%s","t":%s}\n' "$1" "$2" "$3" "$(now)"; }
stat_field() { api "show stat" | awk -F, -v s="$1" -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c||$i=="# "c) col=i} $1=="webshop" && $2==s {print $col}'; }
new_pids=()
for entry in $servers; do
  IFS=: read -r name port pid <<<"$entry"
  event "$name" drain start
  api "set server webshop/$name state drain" >/dev/null
  for _ in $(seq 1 600); do [[ "$(stat_field "$name" scur)" == 0 ]] && break; sleep 0.05; done
  api "set server webshop/$name state maint" >/dev/null
  event "$name" drain end
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  event "$name" deploy start
  PORT=$port APP_VERSION=$version setsid node "$root/app/webshop/server.js" >>"$logdir/$name.shell.log" 2>&1 < /dev/null &
  new=$!
  new_pids+=("$name:$new")
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  event "$name" deploy end
  event "$name" reattach start
  api "set server webshop/$name health down" >/dev/null
  api "set server webshop/$name state ready" >/dev/null
  for _ in $(seq 1 600); do [[ "$(stat_field "$name" status)" == UP ]] && break; sleep 0.05; done
  event "$name" reattach end
done
echo "pids ${new_pids[*]}"
