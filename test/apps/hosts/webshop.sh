#!/usr/bin/env bash
# The deploy and stop commands of the hosts target's tests, as a team would write them for its
# own servers: run on a host over SSH, they start the sample webshop (app/webshop) on the host's
# own address, detached from the SSH session (setsid, nohup), replacing the version running,
# and stop it gracefully (SIGTERM, SIGKILL after 10 s). Safe to run again.
#   webshop.sh start VERSION RUNDIR [SERVER] | webshop.sh stop VERSION RUNDIR [SERVER]
# RUNDIR/app.env has ROOT (the repository), APP_PORT and the database's PG* variables.
# The app's stdout and stderr go to RUNDIR/logs/SERVER.log when SERVER is given (the file the
# canary judge reads: zdr:appLogFile), else to RUNDIR/app-<address>/app.log.
# With RUNDIR/journal-unit (a unit's name, e.g. webshop.service), the app runs as that systemd unit
# would on a host whose journald runs without systemd (test/support/netns-hosts.ts): journal-exec
# (beside this script) puts it in the unit's cgroup /system.slice/UNIT with its stdout and stderr
# on journald's stdout stream as systemd's default StandardOutput=journal does (one stream,
# SyslogIdentifier webshop, priority info), so journald names its unit and `journalctl -u UNIT`
# reads it (zdr:appLogUnit); only journal-exec's own failure would go to the log file.
# Test switches: RUNDIR/slow-deploy makes a start wait 4 s first.
set -euo pipefail
action=$1
version=$2
run=$3
addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
dir="$run/app-$addr"
mkdir -p "$dir"
log="$dir/app.log"
if [[ -n "${4:-}" ]]; then
  mkdir -p "$run/logs"
  log="$run/logs/$4.log"
fi
# shellcheck disable=SC1091
source "$run/app.env"

stop() {
  [[ -f "$dir/pid" ]] || return 0
  local pid
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case "$action" in
  start)
    # a variant <base>+<tag> (v2+burn200) is its base's package
    if [[ ! -f "$ROOT/app/webshop/queries/${version%%+*}.sql" ]]; then
      echo "webshop.sh: no package for version $version on $addr (app/webshop has no queries/${version%%+*}.sql)" >&2
      exit 3
    fi
    [[ -f "$run/slow-deploy" ]] && sleep 4
    stop
    if [[ -f "$run/journal-unit" ]]; then
      HOST=$addr PORT=$APP_PORT APP_VERSION=$version PGAPPNAME="zdr:$version" \
        setsid nohup "$ROOT/test/apps/hosts/journal-exec" "$(cat "$run/journal-unit")" webshop node "$ROOT/app/webshop/server.js" >>"$log" 2>&1 </dev/null &
    else
      HOST=$addr PORT=$APP_PORT APP_VERSION=$version PGAPPNAME="zdr:$version" \
        setsid nohup node "$ROOT/app/webshop/server.js" >>"$log" 2>&1 </dev/null &
    fi
    echo $! > "$dir/pid"
    echo "started $version on $addr:$APP_PORT (pid $!)"
    ;;
  stop)
    stop
    echo "stopped on $addr"
    ;;
  *)
    echo "webshop.sh: start or stop, not $action" >&2
    exit 2
    ;;
esac
