import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sql } from 'kysely';
import { startArguments } from '../scripts/start-arguments.ts';
import { openDatabase } from '../src/db/database.ts';
import { createKey } from '../src/modules/keys/repository.ts';
import { latencyVsSize, newsdeskVsBare } from './chart.ts';
import { benchDatabaseUrl, ensureBenchDatabase } from './database.ts';
import {
  drive,
  type Figures,
  pairedRatio,
  pin,
  type Ratio,
  type Run,
  rssMb,
  type Scenario,
  summarise,
} from './measure.ts';

// `npm run bench`: for each data size, fills (or reuses) a benchmark database on the Postgres server,
// starts Newsdesk and a bare Fastify + pg route on one core, drives both over HTTP from the other core
// with autocannon, several repetitions each, and prints medians, spread, ratios and the API's memory.
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench';
// `report` redraws the tables and charts from the results already in bench/results, measuring nothing.
const sizes =
  process.argv[2] === 'report'
    ? []
    : (process.argv[2] ?? process.env.BENCH_SIZES ?? '100000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
// The two scenarios measured on both servers give the headline ratios: more pairs of runs, because on a
// shared VM a single pair can land anywhere in a third of the ratio's range.
const pairedRepeats = Number(process.env.BENCH_PAIRED_REPEATS ?? 7);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
// BENCH_ONLY='article by slug': only the scenarios whose name matches (both targets), for a quick A/B;
// such a partial run prints its table and leaves bench/results alone.
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const ports = { newsdesk: 3999, bare: 3998 };
const results = new URL('./results/', import.meta.url);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function waitFor(url: string, child: ChildProcess) {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer`);
}

async function startServers(databaseUrl: string) {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // One client makes every request here: a production limit would measure the 429 path.
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
    RATE_LIMIT_KEY_PER_MINUTE: '100000000',
    // The benchmark saturates the core on purpose: measure serving, not shedding.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  const spawnNode = (args: string[], port: number) =>
    spawn(process.execPath, args, {
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  // Newsdesk runs exactly as `npm start` runs it: the built JavaScript.
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const newsdesk = spawnNode(startArguments(), ports.newsdesk);
  const bare = spawnNode(['--import', 'tsx', 'bench/bare.ts'], ports.bare);
  await waitFor(`http://127.0.0.1:${ports.newsdesk}/health/ready`, newsdesk);
  await waitFor(`http://127.0.0.1:${ports.bare}/latest`, bare);
  const pinned = pin(newsdesk.pid as number, 1) && pin(bare.pid as number, 1) && pin(process.pid, 0);
  return { newsdesk, bare, pinned };
}

const get = (path: string, headers: Record<string, string> = {}): autocannonRequest[] => [
  { method: 'GET', path, headers },
];
type autocannonRequest = Scenario['requests'][number];

async function json(path: string) {
  const response = await fetch(`http://127.0.0.1:${ports.newsdesk}${path}`);
  return {
    body: (await response.json()) as {
      data: { slug: string }[] | { slug: string };
      meta: { next_cursor: string | null };
    },
    etag: response.headers.get('etag'),
  };
}

/** Follows next_cursor 499 times, the way a client reaches the 500th page. */
async function cursorOfPage(page: number): Promise<string> {
  let cursor = '';
  for (let i = 1; i < page; i++) {
    const { body } = await json(
      `/v1/articles?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    cursor = body.meta.next_cursor as string;
  }
  return cursor;
}

async function scenarios(databaseUrl: string, articles: number): Promise<Scenario[]> {
  const latest = await json('/v1/articles?limit=1');
  const slug = (latest.body.data as { slug: string }[])[0]?.slug as string;
  const { etag } = await json(`/v1/articles/${slug}`);
  const cursor = await cursorOfPage(500);
  const database = await openDatabase({ kind: 'server', url: databaseUrl });
  const { secret } = await createKey(database.db, { name: `bench ${Date.now()}`, scopes: ['content:write'] });
  await database.close();
  let written = 0;
  const auth = { authorization: `Bearer ${secret}` };
  const search = (q: string) => get(`/v1/articles?q=${encodeURIComponent(q)}&limit=20`);
  return [
    { name: 'latest 20', target: 'newsdesk', requests: get('/v1/articles?limit=20') },
    {
      name: 'latest 20 +source,category',
      target: 'newsdesk',
      requests: get('/v1/articles?limit=20&include=source,category'),
    },
    { name: 'latest 20 +source,category', target: 'bare', requests: get('/latest') },
    {
      name: 'latest 20, total=estimate',
      target: 'newsdesk',
      requests: get('/v1/articles?limit=20&total=estimate'),
    },
    {
      name: 'category subtree +source,category',
      target: 'newsdesk',
      requests: get('/v1/articles?category=bench-root-0&include=source,category&limit=20'),
    },
    {
      name: 'page 500 by cursor',
      target: 'newsdesk',
      requests: get(`/v1/articles?limit=20&cursor=${encodeURIComponent(cursor)}`),
    },
    { name: 'page=500 by number', target: 'newsdesk', requests: get('/v1/articles?limit=20&page=500') },
    { name: 'article by slug', target: 'newsdesk', requests: get(`/v1/articles/${slug}`) },
    { name: 'article by slug', target: 'bare', requests: get(`/articles/${slug}`) },
    {
      name: 'article by slug, If-None-Match',
      target: 'newsdesk',
      requests: get(`/v1/articles/${slug}`, { 'if-none-match': etag as string }),
      expect: 304,
    },
    { name: 'search 芯片', target: 'newsdesk', requests: search('芯片') },
    { name: 'search 人工智能', target: 'newsdesk', requests: search('人工智能') },
    { name: 'search 超級計算機', target: 'newsdesk', requests: search('超級計算機') },
    { name: 'search supercomputer', target: 'newsdesk', requests: search('supercomputer') },
    {
      name: 'write mix (create + patch)',
      target: 'newsdesk',
      requests: [
        {
          method: 'POST',
          path: '/v1/articles',
          headers: { ...auth, 'content-type': 'application/json' },
          setupRequest: (request) => {
            const n = written++;
            return {
              ...request,
              body: JSON.stringify({
                slug: `bench-write-${process.pid}-${n}`,
                title: `基准写入 ${n}`,
                body_html: `<p>基准测试写入的正文 ${n}，supercomputer 芯片。</p>`,
                status: 'published',
                published_at: '2020-01-01T00:00:00Z',
              }),
            };
          },
        },
        {
          method: 'PATCH',
          headers: { ...auth, 'content-type': 'application/merge-patch+json' },
          setupRequest: (request) => ({
            ...request,
            path: `/v1/articles/bench-${written % Math.min(articles, 100000)}`,
            body: JSON.stringify({ author: `bench ${written}` }),
          }),
        },
      ],
    },
  ];
}

/** Removes what the write scenario added, so the data set keeps its size for the next run. */
async function removeWrites(databaseUrl: string) {
  const database = await openDatabase({ kind: 'server', url: databaseUrl });
  await sql`delete from articles where slug like 'bench-write-%'`.execute(database.db);
  await sql`delete from article_revisions where article_id not in (select id from articles)`.execute(
    database.db,
  );
  await sql`update articles set author = '' where author like 'bench %'`.execute(database.db);
  await database.close();
}

async function benchSize(articles: number) {
  const databaseUrl = benchDatabaseUrl(baseUrl, articles);
  await ensureBenchDatabase(databaseUrl, articles, log);
  const servers = await startServers(databaseUrl);
  log(
    servers.pinned ? 'servers pinned to core 1, load generator to core 0' : 'taskset unavailable: unpinned',
  );
  const figures: Figures[] = [];
  const urlOf = (scenario: Scenario) => `http://127.0.0.1:${ports[scenario.target]}`;
  try {
    const selected = (await scenarios(databaseUrl, articles)).filter((s) => !only || only.test(s.name));
    // A scenario measured on both servers is one group: their runs alternate in pairs, in the order
    // Newsdesk, bare, then bare, Newsdesk (and so on), so that the drift of a shared VM, which moves req/s
    // by a third between minutes, falls on both sides of the ratio alike, and neither server always goes
    // first.
    const groups = new Map<string, Scenario[]>();
    for (const scenario of selected)
      groups.set(scenario.name, [...(groups.get(scenario.name) ?? []), scenario]);
    for (const group of groups.values()) {
      const runs = new Map(group.map((scenario) => [scenario, [] as Run[]]));
      for (const scenario of group) {
        log(`${articles}: ${scenario.target} ${scenario.name}`);
        // For the JIT to compile the hot path on both servers before anything is counted.
        await drive(urlOf(scenario), scenario, { connections, seconds: 3 });
      }
      const rounds = group.length > 1 ? pairedRepeats : repeats;
      for (let i = 0; i < rounds; i++)
        for (const scenario of i % 2 ? [...group].reverse() : group)
          (runs.get(scenario) as Run[]).push(
            await drive(urlOf(scenario), scenario, { connections, seconds }),
          );
      for (const [scenario, scenarioRuns] of runs)
        figures.push({
          scenario: scenario.name,
          target: scenario.target,
          path: decodeURIComponent(scenario.requests[0]?.path ?? ''),
          runs: scenarioRuns,
          ...summarise(scenarioRuns),
          rss_mb: rssMb(servers[scenario.target].pid as number),
        });
    }
    return {
      articles,
      seconds,
      repeats,
      paired_repeats: pairedRepeats as number | undefined, // absent from results written before it existed
      connections,
      pinned: servers.pinned,
      peak_rss_mb: rssMb(servers.newsdesk.pid as number, 'VmHWM'),
      figures,
    };
  } finally {
    // Writes still in flight finish during the graceful shutdown: clean up only after both exited.
    await Promise.all(
      [servers.newsdesk, servers.bare].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(undefined);
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
    await removeWrites(databaseUrl);
  }
}

type SizeResult = Awaited<ReturnType<typeof benchSize>>;

/** Newsdesk ÷ bare for a scenario both served, from their paired runs; undefined if it was not run. */
function ratio(result: SizeResult, scenario: string): Ratio | undefined {
  const runsOf = (target: string) =>
    result.figures.find((f) => f.scenario === scenario && f.target === target)?.runs;
  const [newsdesk, bare] = [runsOf('newsdesk'), runsOf('bare')];
  return newsdesk && bare ? pairedRatio(newsdesk, bare) : undefined;
}

const describeRatio = (value: Ratio | undefined) =>
  value
    ? `**${value.median.toFixed(2)}** (${value.pairs} pairs of runs, ${value.spread[0].toFixed(2)}–${value.spread[1].toFixed(2)})`
    : 'not measured';

function table(result: SizeResult): string {
  const rows = result.figures.map(
    (f) =>
      `| ${f.target === 'bare' ? '*bare:* ' : ''}${f.scenario} | ${f.median.rps} | ${f.spread[0]}–${f.spread[1]} | ${f.median.p50} | ${f.median.p99} | ${f.median.errors} | ${f.rss_mb} |`,
  );
  return [
    `### ${result.articles.toLocaleString('en')} articles`,
    '',
    `${result.repeats} runs of ${result.seconds} s each (${result.paired_repeats ?? result.repeats} for the scenarios both servers serve), ${result.connections} connections; medians, with the spread of req/s over the runs.`,
    '',
    '| scenario | req/s | spread | p50 ms | p99 ms | errors | API RSS MB after |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Newsdesk ÷ bare, req/s, the median of the pairs of runs made back to back: list with source and category ${describeRatio(ratio(result, 'latest 20 +source,category'))}; article by slug ${describeRatio(ratio(result, 'article by slug'))}. Peak API RSS: ${result.peak_rss_mb} MB.`,
  ].join('\n');
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let postgres = 'unknown';
  try {
    postgres = execFileSync('psql', [baseUrl.replace(/\/[^/]*$/, '/postgres'), '-Atc', 'show server_version'])
      .toString()
      .trim();
  } catch {}
  return `${cpus().length} × ${cpu}, Node ${process.version}, Postgres ${postgres}`;
}

mkdirSync(results, { recursive: true });
for (const articles of sizes) {
  const result = await benchSize(articles);
  if (only) {
    console.log(`\n${table(result)}\n`);
    continue;
  }
  writeFileSync(
    new URL(`${articles}.json`, results),
    `${JSON.stringify({ ...result, machine: machine() }, null, 2)}\n`,
  );
  console.log(`\n${table(result)}\n`);
}

if (only) process.exit(0);

// Tables and charts from every size measured so far (a scale run writes several).
const all: SizeResult[] = readdirSync(results)
  .filter((file) => /^\d+\.json$/.test(file))
  .map((file) => JSON.parse(readFileSync(new URL(file, results), 'utf8')))
  .sort((a, b) => a.articles - b.articles);
const scaleScenarios = [
  'latest 20',
  'category subtree +source,category',
  'page 500 by cursor',
  'page=500 by number',
  'article by slug',
  'search 芯片',
  'search supercomputer',
  'latest 20, total=estimate',
];
// The chart's font has no CJK glyphs.
const chartLabel = (scenario: string) =>
  scenario
    .replace('芯片', '(2 CJK chars)')
    .replace('人工智能', '(4 CJK chars)')
    .replace('超級計算機', '(traditional)');
const points = all.flatMap((result) =>
  result.figures
    .filter((f) => f.target === 'newsdesk' && scaleScenarios.includes(f.scenario))
    .map((f) => ({ scenario: chartLabel(f.scenario), articles: result.articles, p50: f.median.p50 })),
);
const scaleTable = [
  `| scenario | ${all.map((r) => `${r.articles.toLocaleString('en')}`).join(' | ')} |`,
  `|---|${all.map(() => '---:|').join('')}`,
  ...scaleScenarios.map(
    (name) =>
      `| ${name} | ${all.map((r) => r.figures.find((f) => f.target === 'newsdesk' && f.scenario === name)?.median.p50 ?? '').join(' | ')} |`,
  ),
].join('\n');
console.log(`p50 latency (ms) by data size:\n\n${scaleTable}\n`);
await latencyVsSize(points, new URL('latency-vs-size.png', results));
const headline = all.find((r) => r.articles === 100000) ?? (all.at(-1) as SizeResult);
await newsdeskVsBare(
  headline.figures
    .filter((f) => f.scenario === 'latest 20 +source,category' || f.scenario === 'article by slug')
    .filter((f) => headline.figures.some((g) => g.scenario === f.scenario && g.target === 'bare'))
    .map((f) => ({
      scenario: f.scenario,
      server: f.target === 'bare' ? ('bare Fastify + pg' as const) : ('Newsdesk' as const),
      rps: f.median.rps,
      share: f.target === 'bare' ? 1 : (ratio(headline, f.scenario)?.median ?? 0),
    })),
  `Newsdesk vs a bare Fastify + pg route, ${headline.articles.toLocaleString('en')} articles`,
  new URL('newsdesk-vs-bare.png', results),
);
writeFileSync(
  new URL('summary.md', results),
  [
    `Machine: ${machine()}. Servers pinned to one core, autocannon to the other (${all[0]?.pinned ? 'taskset worked' : 'unpinned'}).`,
    '',
    ...all.map(table).flatMap((t) => [t, '']),
    '### p50 latency (ms) by data size',
    '',
    scaleTable,
    '',
  ].join('\n'),
);
log('wrote bench/results/summary.md, latency-vs-size.png and newsdesk-vs-bare.png');
