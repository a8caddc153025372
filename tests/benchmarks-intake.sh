#!/usr/bin/env bash
# Benchmark 2 alone (tests/benchmarks.sh step 2) with the binaries in a
# given target dir, and the size of the database it leaves: to compare two
# builds in one sitting (BENCHMARKS.md, "Recorded decisions").
#
#   tests/benchmarks-intake.sh target/release
set -euo pipefail
bin="${1:?usage: tests/benchmarks-intake.sh DIR_WITH_xingji_AND_xingji-load}"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
server=(--server "$bin/xingji" --server-data-dir "$data")
for region in shanghai qingdao; do
    "$bin/xingji-load" setup "${server[@]}" --region "$region" --outlets 100 --capacity 10000 >/dev/null
done
"$bin/xingji-load" intake "${server[@]}" --regions shanghai --duration 60 --warmup 5 --concurrency 64
du -sh "$data"/xingji.db
