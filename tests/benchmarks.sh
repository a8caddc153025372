#!/usr/bin/env bash
# The benchmark suite behind BENCHMARKS.md, in one command.
#
#   tests/benchmarks.sh          # plugin call (native and sandboxed), cold
#                                # start, 60 s of order intake, hot swap,
#                                # a spinning plugin's soak, intake on
#                                # PostgreSQL (one and two kernels)
#   tests/benchmarks.sh --all    # also the long ones: Solomon VRPTW (56
#                                # instances, 2 s each) and the month close
#                                # of 1,000,000 orders (generated once, ~10 min)
#
# Run it on an otherwise idle machine: every figure is a time.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
all=false
[[ "${1:-}" == "--all" ]] && all=true

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $(date -u +%F)"

echo "== 1. plugin call: native, then through the sandbox"
cargo test --release --manifest-path plugins/Cargo.toml -p dispatch-nearest --lib \
    -- --ignored --nocapture native_call_cost 2>&1 | grep '^native'
cargo bench -p xingji --bench plugin_call

echo "== 6. cold start"
cargo bench -p xingji --bench cold_start

echo "== 2. order intake, 60 s, over loopback from a separate process"
cargo build --release -p xingji -p xingji-load
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
load=("$target/release/xingji-load")
server=(--server "$target/release/xingji" --server-data-dir "$data")
for region in shanghai qingdao; do
    "${load[@]}" setup "${server[@]}" --region "$region" --outlets 100 --capacity 10000
done
"${load[@]}" intake "${server[@]}" --regions shanghai --duration 60 --warmup 5 --concurrency 64

echo "== 4. hot swap under load, 20 swaps: at the target's 2,000 orders/s, then within intake capacity"
"${load[@]}" swap "${server[@]}" --rate 2000 --baseline 20 --swaps 20 --every 1 || true
"${load[@]}" swap "${server[@]}" --rate 600 --baseline 20 --swaps 20 --every 1

echo "== 7. soak: 32 callers into qingdao, whose dispatch plugin spins to its deadline; shanghai's CreateOrder p99 before and during"
cargo build --release --locked --manifest-path plugins/Cargo.toml -p test-sleeper \
    --target wasm32-wasip2 --target-dir "$target/plugins"
"${load[@]}" spin "${server[@]}" --plugin "$target/plugins/wasm32-wasip2/release/test_sleeper.wasm" \
    --region-a shanghai --region-b qingdao --calls 32 --rate 200 --baseline 20 --soak 20

echo "== 8. order intake on PostgreSQL: one kernel, then two replicas on one database"
tests/benchmarks-postgres.sh 60

echo "== 9. intake under overload: an open loop at twice capacity, admission off, then on"
tests/benchmarks-overload.sh auto 60

if $all; then
    echo "== 5. rural tours: Solomon VRPTW through the sandbox"
    cargo bench -p xingji --bench tour_solomon
    echo "== 3. month close at network scale"
    RUST_LOG=info,sqlx=warn cargo bench -p xingji --bench month_close
fi
