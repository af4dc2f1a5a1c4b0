import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startArguments } from '../scripts/start-arguments.ts';
import { benchDatabaseUrl } from './database.ts';
import { pin } from './measure.ts';

// `npm run bench:cpu -- [newsdesk path] [bare path] [rounds]`: the API's CPU time per request, Newsdesk
// against the bare route, in alternating rounds. Requests per second on a shared machine move by ±20%
// from run to run; the CPU time the server process spent per request moves far less, so this is the
// figure to compare when tuning. Uses the 100,000-article data set (`npm run bench:fill -- 100000`).
const newsdeskPath = process.argv[2] ?? '/v1/articles/bench-0';
const barePath = process.argv[3] ?? '/articles/bench-0';
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench';
const port = 3996;

/** User + system CPU time of a process so far, in microseconds (from /proc, in clock ticks of 10 ms). */
function cpuMicroseconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function measure(args: string[], path: string) {
  const server: ChildProcess = spawn(process.execPath, args, {
    env: {
      ...process.env,
      DATABASE_URL: benchDatabaseUrl(baseUrl, 100000),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}${path}`;
  for (
    let i = 0;
    !(await fetch(url).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  ) {
    if (i > 100) throw new Error(`${url} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  pin(server.pid as number, 1);
  await autocannon({ url, connections: 8, duration: 1 });
  const before = cpuMicroseconds(server.pid as number);
  const run = await autocannon({ url, connections: 8, duration: seconds });
  const perRequest = (cpuMicroseconds(server.pid as number) - before) / run.requests.total;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  await exited;
  return { perRequest, rps: run.requests.average };
}

// BENCH_NODE_FLAGS='--max-semi-space-size=16': V8 flags added after npm start's (the last one wins), to
// try a setting without editing package.json.
const withExtraFlags = (args: string[]) => {
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return [...args.slice(0, -1), ...extra, ...args.slice(-1)];
};

pin(process.pid, 0);
execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
const results = { newsdesk: [] as number[], bare: [] as number[] };
for (let round = 0; round < rounds; round++) {
  for (const [name, args, path] of [
    ['newsdesk', withExtraFlags(startArguments()), newsdeskPath],
    ['bare', ['--import', 'tsx', 'bench/bare.ts'], barePath],
  ] as const) {
    const { perRequest, rps } = await measure([...args], path);
    results[name].push(perRequest);
    console.log(
      `${name.padEnd(8)} ${perRequest.toFixed(0).padStart(6)} µs CPU per request, ${rps.toFixed(0)} req/s`,
    );
  }
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const [newsdesk, bare] = [median(results.newsdesk), median(results.bare)];
console.log(
  `medians: Newsdesk ${newsdesk.toFixed(0)} µs, bare ${bare.toFixed(0)} µs; bare ÷ Newsdesk ${(bare / newsdesk).toFixed(2)}`,
);
