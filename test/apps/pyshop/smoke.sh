#!/usr/bin/env bash
# A smoke check of pyshop by hand: a throwaway PostgreSQL on a free loopback port
# (scripts/local/postgres), the migrations V1..V3 applied with psql in turn, each version
# started and its routes called with curl, and a SIGTERM during a /slow request that must still
# complete. Every process is stopped by its pid. Usage: test/apps/pyshop/smoke.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
dir=$(mktemp -d /tmp/pyshop-smoke-XXXXXX)
chmod 755 "$dir"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_pid= app_pid=
cleanup() {
    [[ -n "$app_pid" ]] && kill -TERM "$app_pid" 2>/dev/null || true
    if [[ -n "$pg_pid" ]]; then
        kill -INT "$pg_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

export PGHOST=127.0.0.1 PGPORT=$(free_port) PGUSER=zdr PGDATABASE=postgres
export PGPASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
ZDR_DB_PASSWORD=$PGPASSWORD "$root/scripts/local/postgres" "$dir/data" "$PGPORT" >"$dir/postgres.log" 2>&1 &
pg_pid=$!
for i in $(seq 150); do psql -qtAc 'SELECT 1' >/dev/null 2>&1 && break; [[ $i == 150 ]] && { echo "PostgreSQL did not start" >&2; exit 1; }; sleep 0.2; done

failures=0
check() { # what, expected, actual
    if [[ "$2" == "$3" ]]; then echo "ok    $1"; else echo "FAIL  $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
start() { # version
    port=$(free_port)
    python3 "$here/server.py" --version "$1" --port "$port" >>"$dir/app.log" 2>&1 &
    app_pid=$!
    for _ in $(seq 50); do curl -s -o /dev/null "127.0.0.1:$port/" && return; sleep 0.1; done
    echo "pyshop $1 did not start" >&2; cat "$dir/app.log" >&2; exit 1
}
stop() {
    kill -TERM "$app_pid"; wait "$app_pid" || true; app_pid=
}
status() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
migrate() { psql -v ON_ERROR_STOP=1 -q -f "$here/migrations/$1" >/dev/null; }

migrate V1__create_items.sql
start v1
check "v1 on V1: /health" 200 "$(status "127.0.0.1:$port/health")"
check "v1 on V1: /items shows legacy_code" 3 "$(curl -s "127.0.0.1:$port/items" | grep -o legacy_code | wc -l)"
check "v1 on V1: POST /order" 201 "$(status -X POST "127.0.0.1:$port/order?item=1")"
check "v1: x-app-version" "v1" "$(curl -s -D - -o /dev/null "127.0.0.1:$port/health" | tr -d '\r' | sed -n 's/^x-app-version: //p')"
stop
start v2
check "v2 on V1: /order fails before V2" 500 "$(status "127.0.0.1:$port/order?item=1")"
stop

migrate V2__add_orders_placed_by.sql
for v in v1 v2; do
    start $v
    check "$v on V2: /items" 200 "$(status "127.0.0.1:$port/items")"
    check "$v on V2: /order" 201 "$(status "127.0.0.1:$port/order?item=2")"
    stop
done

migrate V3__drop_legacy_code.sql
start v1
check "v1 on V3: /items fails (its column is gone)" 500 "$(status "127.0.0.1:$port/items")"
stop
for v in v2 v3 3f9c2e1 bad-health; do
    start $v
    check "$v on V3: /items" 200 "$(status "127.0.0.1:$port/items")"
    check "$v on V3: /order" 201 "$(status "127.0.0.1:$port/order?item=3")"
    check "$v on V3: /health" "$([[ $v == bad-health ]] && echo 503 || echo 200)" "$(status "127.0.0.1:$port/health")"
    stop
done
check "orders placed by v2 and later" "3f9c2e1 bad-health v2 v3" "$(psql -qtAc "SELECT string_agg(DISTINCT placed_by, ' ' ORDER BY placed_by) FROM orders")"
check "an ERROR line per 500" 2 "$(grep -c '^ERROR ' "$dir/app.log")"

start v3
curl -s -o "$dir/slow.body" -w '%{http_code}' "127.0.0.1:$port/slow" >"$dir/slow.code" &
curl_pid=$!
sleep 0.5
t0=$(date +%s.%N)
kill -TERM "$app_pid"
sleep 0.5  # the accept loop ends within its 0.2 s poll interval
check "after SIGTERM: new connections refused" 000 "$(status "127.0.0.1:$port/health" || true)"
rc=0; wait "$app_pid" || rc=$?; app_pid=
wait "$curl_pid" || true
check "SIGTERM: exit code" 0 "$rc"
check "SIGTERM: the /slow request in flight completes" 200 "$(cat "$dir/slow.code")"
echo "      stop took $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s"

[[ $failures == 0 ]] && echo "all checks passed" || { echo "$failures check(s) failed; app log:"; cat "$dir/app.log"; exit 1; }
