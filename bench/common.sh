# Sourced by the bench's shell scripts: the data set's URL and npm start's node arguments, from the same
# helpers the TypeScript bench uses (bench/database.ts, scripts/start-arguments.ts).
# BENCH_ARTICLES picks the data set (default 100000).
bench_database_url() {
  node --import tsx --input-type=module -e "import { benchDatabaseUrl } from './bench/database.ts';
console.log(benchDatabaseUrl(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench', Number(process.env.BENCH_ARTICLES ?? 100000)))"
}

start_arguments() {
  node --import tsx --input-type=module -e "import { startArguments } from './scripts/start-arguments.ts';
console.log(startArguments().join(' '))"
}

# start_server PORT LOG [COMMAND...] [-- FLAGS...]: builds, then starts the server to measure in the background,
# with the bench's settings: npm start's node arguments, or with BENCH_SERVER=bare the bare route's; behind COMMAND
# (valgrind, say) if given; with FLAGS put last before the script, so that they win over npm start's.
# Sets $server to its pid and kills it when the script exits.
start_server() {
  local port=$1 log=$2
  shift 2
  npm run build >/dev/null
  local wrapper=() flags=() args
  while [ $# -gt 0 ] && [ "$1" != -- ]; do wrapper+=("$1"); shift; done
  [ $# -gt 0 ] && shift && flags=("$@")
  if [ "${BENCH_SERVER:-newsdesk}" = bare ]; then
    args=(--import tsx bench/bare.ts)
  else
    read -ra args <<<"$(start_arguments)"
  fi
  local script=${args[-1]}
  unset 'args[-1]'
  DATABASE_URL=$(bench_database_url) PORT=$port \
    LOG_LEVEL=warn RATE_LIMIT_ANONYMOUS_PER_MINUTE=100000000 OVERLOAD_MAX_EVENT_LOOP_DELAY_MS=0 \
    "${wrapper[@]}" node "${args[@]}" "${flags[@]}" "$script" >"$log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
}

# The path of one article read on the server being measured.
article_path() {
  if [ "${BENCH_SERVER:-newsdesk}" = bare ]; then echo /articles/bench-0; else echo /v1/articles/bench-0; fi
}
