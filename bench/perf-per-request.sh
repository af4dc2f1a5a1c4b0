#!/usr/bin/env bash
# Where a request's CPU time goes, every thread and the kernel included: perf samples the API (the software
# cpu-clock event, which works in VMs without hardware counters) while autocannon drives one path, and
# bench/perf-summary.ts prints microseconds per request by kind (kernel, V8 builtins, V8 runtime, garbage
# collection, JIT compiler, JavaScript by package) and the symbols that cost most. The API is pinned to
# core 1 and autocannon to core 0, as in the bench. Needs perf (Debian: linux-perf).
#   bash bench/perf-per-request.sh [path] [seconds]
# BENCH_SERVER=bare profiles the bare route (paths /latest and /articles/<slug>); BENCH_ARTICLES picks the
# data set (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
path=${1:-$(article_path)}
seconds=${2:-6}
port=3986
out=$(mktemp -d)
# --perf-basic-prof: V8 writes /tmp/perf-<pid>.map, which names the JIT-compiled JavaScript for perf.
start_server $port "$out/server.log" -- --perf-basic-prof
trap 'kill $server 2>/dev/null || true; rm -f /tmp/perf-$server.map' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port$path"; do sleep 0.5; done
taskset -a -p -c 1 $server >/dev/null
taskset -c 0 npx autocannon -c 8 -d 4 "http://127.0.0.1:$port$path" >/dev/null 2>&1 # warm-up
perf record -e cpu-clock -F 1999 -p $server -o "$out/perf.data" >/dev/null 2>&1 &
recorder=$!
requests=$(taskset -c 0 npx autocannon -c 8 -d "$seconds" --json "http://127.0.0.1:$port$path" 2>/dev/null |
  node -e "let s='';process.stdin.on('data',(d)=>{s+=d}).on('end',()=>console.log(JSON.parse(s).requests.total))")
kill -INT $recorder
wait $recorder 2>/dev/null || true
perf report -i "$out/perf.data" --stdio --no-children -n --sort sym 2>/dev/null |
  node --import tsx bench/perf-summary.ts "$requests" 1999 "$path"
