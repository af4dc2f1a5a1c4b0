import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startArguments } from '../scripts/start-arguments.ts';
import { benchDatabaseUrl } from './database.ts';
import { pin } from './measure.ts';

// `npm run bench:profile -- /v1/articles/bench-8 [seconds]`: runs the API under the V8 CPU profiler,
// drives one path from the other core, and prints where the API's CPU time went (self time), by package
// and by function. The data set must exist (`npm run bench:fill -- 100000`).
const path = process.argv[2] ?? '/v1/articles?limit=20&include=source,category';
const seconds = Number(process.argv[3] ?? 30);
const articles = Number(process.env.BENCH_ARTICLES ?? 100000);
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench';
const port = 3997;
const folder = mkdtempSync(join(tmpdir(), 'newsdesk-profile-'));

// BENCH_PROFILE_SERVER=bare profiles the bare route instead (paths /latest and /articles/<slug>).
const bare = process.env.BENCH_PROFILE_SERVER === 'bare';
if (!bare) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
const server = bare ? ['--import', 'tsx', 'bench/bare.ts'] : startArguments();
const api = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${folder}`, ...server], {
  env: {
    ...process.env,
    DATABASE_URL: benchDatabaseUrl(baseUrl, articles),
    PORT: String(port),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  },
  stdio: 'inherit',
});
const exited = new Promise((resolve) => api.once('exit', resolve));
for (let i = 0; ; i++) {
  if (
    await fetch(`http://127.0.0.1:${port}${bare ? path : '/health/ready'}`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 100) throw new Error('the API did not start');
  await new Promise((resolve) => setTimeout(resolve, 200));
}
pin(api.pid as number, 1);
pin(process.pid, 0);
const url = `http://127.0.0.1:${port}${path}`;
await autocannon({ url, connections: 8, duration: 3 }); // warm-up, so start-up is a small share
const run = await autocannon({ url, connections: 8, duration: seconds });
api.kill('SIGINT');
await exited;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const profile = JSON.parse(readFileSync(join(folder, readdirSync(folder)[0] as string), 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const time = profile.timeDeltas[i] ?? 0;
  const frame = (nodes.get(id) as Node).callFrame;
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
  const fn = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
  const pkg = file.startsWith('src/')
    ? 'newsdesk src/'
    : (file.match(/^(@[^/]+\/[^/]+|[^/:]+)\//)?.[1] ??
      (file.startsWith('node:') ? 'node core' : frame.functionName));
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
  total += time;
});
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
console.log(
  `${path}: ${Math.round(run.requests.average)} req/s, p50 ${run.latency.p50} ms (${seconds} s, 8 connections)`,
);
console.log(`\nCPU self time by package:\n${top(byPackage, 15)}\n\nby function:\n${top(byFunction, 25)}`);
console.log(`\nprofile: ${folder} (open in Chrome DevTools or speedscope)`);
