#!/usr/bin/env bash
# Intake under overload: an open loop of RATE orders/s (default 3,200, about
# twice the measured closed-loop capacity, BENCHMARKS.md) for SECONDS, first
# with admission control out of the way (caps of a million: the kernel
# before issue 15), then with its defaults ([admission] 128 in all, 64 per
# region). Same setup as benchmark 2.
#
#   tests/benchmarks-overload.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
rate="${1:-3200}"
seconds="${2:-30}"
cargo build --release -p xingji -p xingji-load
load="$target/release/xingji-load"

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
