#!/usr/bin/env bash
# Garbage collection per request: how many young (scavenge) and full (mark-compact) collections the API
# runs per request, and their main-thread pause, from `node --trace-gc` over a fixed number of requests
# after a warm-up, with the peak resident memory. Counts repeat exactly from run to run, unlike CPU time.
#   bash bench/gc-per-request.sh [path] [requests]
# BENCH_ARTICLES picks the data set (default 100000); BENCH_NODE_FLAGS adds V8 flags after npm start's
# (the last one wins), e.g. BENCH_NODE_FLAGS=--max-semi-space-size=16.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
path=${1:-$(article_path)}
requests=${2:-20000}
port=3987
out=$(mktemp -d)
read -ra extra <<<"${BENCH_NODE_FLAGS:-}"
start_server $port "$out/gc.log" -- "${extra[@]}" --trace-gc
until curl -sf -o /dev/null "http://127.0.0.1:$port$path"; do sleep 0.5; done
npx autocannon -c 8 -a 2000 "http://127.0.0.1:$port$path" >/dev/null 2>&1 # warm-up
start=$(wc -l <"$out/gc.log")
npx autocannon -c 8 -a "$requests" "http://127.0.0.1:$port$path" >/dev/null 2>&1
peak=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$server/status")
tail -n +"$((start + 1))" "$out/gc.log" | awk -v n="$requests" -v peak="$peak" -v path="$path" '
  /: Scavenge/ { scavenges++ }
  /: Mark-Compact/ { full++ }
  /: (Scavenge|Mark-Compact)/ && match($0, /MB, [0-9.]+ \/ [0-9.]+ ms/) {
    split(substr($0, RSTART + 4, RLENGTH - 7), pause, " / "); ms += pause[1]
  }
  END {
    printf "%s: %.4f scavenges and %.5f mark-compacts per request, %.1f µs of GC pause per request (%d requests); peak RSS %d MB\n",
      path, scavenges / n, full / n, ms * 1000 / n, n, peak
  }'
