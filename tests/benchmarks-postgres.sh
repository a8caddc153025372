#!/usr/bin/env bash
# Order intake on SQLite, then on PostgreSQL: one kernel, then two replicas on the same
# database, with the same driver and command as SQLite's figure
# (tests/benchmarks.sh step 2). A throwaway cluster is made with initdb in a
# temp dir and removed afterwards.
#
#   tests/benchmarks-postgres.sh [SECONDS]     # default 60
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
seconds="${1:-60}"

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [[ -z "$pgbin" ]]; then
    echo "SKIPPED: no PostgreSQL (apt-get install postgresql)" >&2
    exit 0
fi
cargo build --release -p xingji -p xingji-load
load="$target/release/xingji-load"
xingji="$(realpath "$target/release/xingji")"

# SQLite first, in the same sitting, with the same setup and driver: the
# figure the PostgreSQL ones stand beside.
sqlite_data="$(mktemp -d)"
server=(--server "$target/release/xingji" --server-data-dir "$sqlite_data")
for region in shanghai qingdao; do
    "$load" setup "${server[@]}" --region "$region" --outlets 100 --capacity 10000
done
echo "== intake on SQLite, one kernel, ${seconds} s, 64 callers"
"$load" intake "${server[@]}" --regions shanghai --duration "$seconds" --warmup 5 --concurrency 64
rm -rf "$sqlite_data"

work="$(mktemp -d)"
chmod 755 "$work"
as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    # initdb refuses to run as root.
    chown postgres "$work"
    as_pg=(runuser -u postgres --)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport="$(free_port)"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
    -o "-p $pgport -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
url="postgres://postgres@127.0.0.1:$pgport/postgres"
echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport, $(nproc) cores"

# Replicas share one data dir: the embedded issuer's key (so a token is good
# on both), the demo's saved tokens, and the compiled-plugin cache.
mkdir -p "$work/data"
replica() {
    local port="$1"
    XINGJI_STORE_URL="$url" "$xingji" serve --demo --data-dir "$work/data" \
        --listen "127.0.0.1:$port" >>"$work/replica-$port.log" 2>&1 &
    pids+=($!)
    # The port is bound before the demo is seeded and its tokens saved:
    # wait for the line that says it serves.
    for _ in $(seq 1200); do
        grep -q "serving" "$work/replica-$port.log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "replica on $port did not start:" >&2
    tail -20 "$work/replica-$port.log" >&2
    exit 1
}
one="$(free_port)"
replica "$one"
tokens=(--tokens-dir "$work/data/tokens")
for region in shanghai qingdao; do
    "$load" setup --addr "http://127.0.0.1:$one" "${tokens[@]}" --region "$region" \
        --outlets 100 --capacity 10000
done

echo "== intake on PostgreSQL, one kernel, ${seconds} s, 64 callers"
"$load" intake --addr "http://127.0.0.1:$one" "${tokens[@]}" --regions shanghai \
    --duration "$seconds" --warmup 5 --concurrency 64

two="$(free_port)"
replica "$two"
echo "== intake on PostgreSQL, two kernels on one database, ${seconds} s, 64 callers spread over both"
"$load" intake --addr "http://127.0.0.1:$one,http://127.0.0.1:$two" "${tokens[@]}" \
    --regions shanghai --duration "$seconds" --warmup 5 --concurrency 64
