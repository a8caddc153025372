#!/usr/bin/env bash
# Intake under overload: an open loop of RATE orders/s for SECONDS, first
# with admission control out of the way (caps of a million: the kernel
# before issue 15), then with its defaults ([admission] 128 in all, 64 per
# region). Same setup as benchmark 2. Without a RATE (or with `auto`), the
# capacity is measured first (benchmark 2's closed loop, 64 callers, 20 s)
# and the rate is twice that.
#
#   tests/benchmarks-overload.sh [RATE|auto] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
rate="${1:-auto}"
seconds="${2:-30}"
cargo build --release -p xingji -p xingji-load
load="$target/release/xingji-load"

if [[ "$rate" == auto ]]; then
    data="$(mktemp -d)"
    server=(--server "$target/release/xingji" --server-data-dir "$data")
    "$load" setup "${server[@]}" --region shanghai --outlets 100 --capacity 10000 >/dev/null
    capacity="$("$load" intake "${server[@]}" --regions shanghai --duration 20 --warmup 5 \
        --concurrency 64 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["orders_per_s"])')"
    rm -rf "$data"
    rate="$(python3 -c "print(round(2 * $capacity))")"
    echo "== capacity: $capacity orders/s (closed loop, 64 callers, 20 s); the flood: $rate orders/s"
fi

run() {
    local label="$1" settings="$2"
    local data
    data="$(mktemp -d)"
    # `serve` reads ./xingji.toml, and the driver starts it in its data dir.
    printf '%s\n' "$settings" >"$data/xingji.toml"
    local server=(--server "$target/release/xingji" --server-data-dir "$data")
    "$load" setup "${server[@]}" --region shanghai --outlets 100 --capacity 10000 >/dev/null
    echo "== $label: open loop, $rate orders/s for $seconds s"
    "$load" intake "${server[@]}" --regions shanghai --rate "$rate" \
        --duration "$seconds" --warmup 5 --timeout 30
    rm -rf "$data"
}

run "admission off" $'[admission]\nmax_in_flight = 1000000\nmax_in_flight_per_region = 1000000'
run "admission on (defaults)" ""

# A second region under the flood: Qingdao at a normal 100 orders/s, alone
# (its baseline), then beside Shanghai's flood, against one server with the
# default caps.
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$target/release/xingji" serve --demo --data-dir "$data" --listen "127.0.0.1:$port" \
    >"$data/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 600); do
    grep -q "serving" "$data/server.log" 2>/dev/null && break
    sleep 0.1
done
addr=(--addr "http://127.0.0.1:$port" --tokens-dir "$data/tokens")
for region in shanghai qingdao; do
    "$load" setup "${addr[@]}" --region "$region" --outlets 100 --capacity 10000 >/dev/null
done
echo "== qingdao alone at 100 orders/s for $seconds s (its baseline)"
"$load" intake "${addr[@]}" --regions qingdao --rate 100 --duration "$seconds" --warmup 5
echo "== qingdao at 100 orders/s beside shanghai's flood of $rate orders/s"
"$load" intake "${addr[@]}" --regions shanghai --rate "$rate" --duration "$((seconds + 5))" \
    --warmup 5 --timeout 30 >"$data/flood.log" 2>&1 &
flood=$!
sleep 2
"$load" intake "${addr[@]}" --regions qingdao --rate 100 --duration "$seconds" --warmup 3
wait "$flood"
echo "-- the flood, meanwhile:"
grep -vE "^xingji-load:   " "$data/flood.log"
echo "server peak RSS: $(grep VmHWM "/proc/$server_pid/status" | awk '{print $2, $3}')"
