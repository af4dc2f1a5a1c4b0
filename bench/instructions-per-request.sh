#!/usr/bin/env bash
# Instructions the API executes per request, counted by valgrind's callgrind. On a shared VM CPU time moves
# by ±15% between runs of the same build; this count moved by 3% (five runs: 1.45 to 1.50 million
# an article read). Slow: about two minutes a run. Uses the 100,000-article data set
# (npm run bench:fill -- 100000; BENCH_ARTICLES picks another).
#   bash bench/instructions-per-request.sh [path] [requests]
# With bench/without-features.patch applied, WITHOUT_CORS=1 and the like switch features off.
# BENCH_SERVER=bare counts the bare route instead (default path /articles/bench-0). CACHE_SIM=1 also runs
# valgrind's cache model (first-level instruction and data caches, last level) and BRANCH_SIM=1 its branch
# predictor model, and prints misses and mispredictions per request: this VM has no hardware counters
# (perf stat: "not supported").
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
path=${1:-$(article_path)}
requests=${2:-2000}
port=3991
out=$(mktemp -d)
models=()
[ "${CACHE_SIM:-}" = 1 ] && models+=(--cache-sim=yes)
[ "${BRANCH_SIM:-}" = 1 ] && models+=(--branch-sim=yes)
start_server $port "$out/server.log" valgrind --tool=callgrind "${models[@]}" --instr-atstart=no --smc-check=all-non-file \
  --callgrind-out-file="$out/callgrind.out"
until curl -sf "http://127.0.0.1:$port$path" >/dev/null; do sleep 1; done
callgrind_control -i on $server >/dev/null 2>&1
# Warm up (the JIT compiles the hot path), then count only the measured requests.
npx autocannon -c 2 -a 3000 -t 60 "http://127.0.0.1:$port$path" >/dev/null 2>&1
callgrind_control -z $server >/dev/null 2>&1
npx autocannon -c 2 -a "$requests" -t 60 "http://127.0.0.1:$port$path" >/dev/null 2>&1
callgrind_control -d $server >/dev/null 2>&1
sleep 2
cat "$out"/callgrind.out* | awk -v n="$requests" '
  /^events:/ { for (i = 2; i <= NF; i++) event[i] = $i; events = NF }
  /^summary:/ { for (i = 2; i <= NF; i++) total[i] += $i }
  END {
    printf "%.0f instructions per request (%d requests)\n", total[2] / n, n
    for (i = 3; i <= events; i++) printf "%.0f %s per request\n", total[i] / n, event[i]
  }'
