#!/usr/bin/env bash
# Instructions the API executes per request, counted by valgrind's callgrind. On a shared VM CPU time moves
# by ±15% between runs of the same build; this count moved by 3% (five runs: 1.45 to 1.50 million
# an article read). Slow: about two minutes a run. Uses the 100,000-article data set
# (npm run bench:fill -- 100000; BENCH_ARTICLES picks another).
#   bash bench/instructions-per-request.sh [path] [requests]
# With bench/without-features.patch applied, WITHOUT_CORS=1 and the like switch features off.
# BENCH_SERVER=bare counts the bare route instead (default path /articles/bench-0).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
path=${1:-$(article_path)}
requests=${2:-2000}
port=3991
out=$(mktemp -d)
start_server $port "$out/server.log" valgrind --tool=callgrind --instr-atstart=no --smc-check=all-non-file \
  --callgrind-out-file="$out/callgrind.out"
until curl -sf "http://127.0.0.1:$port$path" >/dev/null; do sleep 1; done
callgrind_control -i on $server >/dev/null 2>&1
# Warm up (the JIT compiles the hot path), then count only the measured requests.
npx autocannon -c 2 -a 3000 -t 60 "http://127.0.0.1:$port$path" >/dev/null 2>&1
callgrind_control -z $server >/dev/null 2>&1
npx autocannon -c 2 -a "$requests" -t 60 "http://127.0.0.1:$port$path" >/dev/null 2>&1
callgrind_control -d $server >/dev/null 2>&1
sleep 2
cat "$out"/callgrind.out* | awk -v n="$requests" '/^summary:/ { total += $2 } END { printf "%.0f instructions per request (%d requests)\n", total / n, n }'
