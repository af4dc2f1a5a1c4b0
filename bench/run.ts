import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { parseQuery } from '../src/modules/search/tokenizer.ts';
import { fillDataset } from './dataset.ts';

// `npm run bench`: fills (or reuses) a benchmark database on the Postgres server, starts the API on one
// core and drives it over HTTP from the other with autocannon, then prints latency and throughput.
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench';
const articles = Number(process.env.BENCH_ARTICLES ?? 100000);
const duration = Number(process.env.BENCH_SECONDS ?? 5);
const port = Number(process.env.BENCH_PORT ?? 3999);
const log = (line: string) => process.stderr.write(`${line}\n`);

function pin(pid: number, core: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase() {
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: admin.toString(), max: 1 }) }),
  });
  const { rows } = await sql`select 1 from pg_database where datname = ${name}`.execute(db);
  if (rows.length === 0) await sql`create database ${sql.id(name)}`.execute(db);
  await db.destroy();

  const database = await openDatabase({ kind: 'server', url: databaseUrl });
  await migrateToLatest(database.db);
  const { count } = await database.db
    .selectFrom('articles')
    .select(sql<number>`count(*)::int`.as('count'))
    .executeTakeFirstOrThrow();
  if (count !== articles) {
    log(`building a data set of ${articles} articles (once; later runs reuse it)`);
    await sql`truncate articles, categories, sources restart identity cascade`.execute(database.db);
    await fillDataset(database.db, { articles, sources: 50 }, log);
  }
  await database.close();
}

async function startApi(): Promise<ChildProcess> {
  const api = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      // One client makes every request here: a production limit would measure the 429 path.
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return api;
  }
  api.kill();
  throw new Error('the API did not become ready');
}

interface Figures {
  scenario: string;
  /** Published articles the search matches, to show how selective it is. */
  matches?: number;
  path: string;
  p50_ms: number;
  p99_ms: number;
  single_rps: number;
  rps_8_connections: number;
  errors: number;
}

async function countMatches(q: string): Promise<number> {
  const parsed = parseQuery(q);
  const database = await openDatabase({ kind: 'server', url: databaseUrl });
  try {
    const row = await database.db
      .selectFrom('articles')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('status', '=', 'published')
      .where(sql<boolean>`search_vector @@ cast(${parsed?.tsquery ?? ''} as tsquery)`)
      .executeTakeFirstOrThrow();
    return row.n;
  } finally {
    await database.close();
  }
}

async function measure(scenario: string, path: string): Promise<Figures> {
  const url = `http://127.0.0.1:${port}${path}`;
  const q = new URL(url).searchParams.get('q');
  await autocannon({ url, connections: 2, duration: 1 });
  const single = await autocannon({ url, connections: 1, duration });
  const loaded = await autocannon({ url, connections: 8, duration });
  return {
    scenario,
    path: decodeURIComponent(path),
    p50_ms: single.latency.p50,
    p99_ms: single.latency.p99,
    single_rps: Math.round(single.requests.average),
    rps_8_connections: Math.round(loaded.requests.average),
    errors: single.errors + single.non2xx + loaded.errors + loaded.non2xx,
    ...(q ? { matches: await countMatches(q) } : {}),
  };
}

const SCENARIOS: [string, string][] = [
  ['latest 20', '/v1/articles?limit=20'],
  ['search, two characters (芯片)', `/v1/articles?q=${encodeURIComponent('芯片')}&limit=20`],
  ['search, four characters (人工智能)', `/v1/articles?q=${encodeURIComponent('人工智能')}&limit=20`],
  ['search, traditional (超級計算機)', `/v1/articles?q=${encodeURIComponent('超級計算機')}&limit=20`],
  ['search, English (supercomputer)', '/v1/articles?q=supercomputer&limit=20'],
  [
    'search by date, two characters',
    `/v1/articles?q=${encodeURIComponent('芯片')}&sort=-published_at&limit=20`,
  ],
];

await ensureDatabase();
const api = await startApi();
const pinned = pin(api.pid as number, 1) && pin(process.pid, 0);
log(pinned ? 'API pinned to core 1, load generator to core 0' : 'taskset unavailable: running unpinned');
const results: Figures[] = [];
try {
  for (const [scenario, path] of SCENARIOS) {
    log(`measuring: ${scenario}`);
    results.push(await measure(scenario, path));
  }
} finally {
  api.kill('SIGTERM');
}

console.log(`\n${articles} articles, ${duration}s per run, limit=20; p50/p99 with 1 connection\n`);
console.log('| scenario | matches | p50 ms | p99 ms | req/s (1 conn) | req/s (8 conns) | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${r.matches ?? ''} | ${r.p50_ms} | ${r.p99_ms} | ${r.single_rps} | ${r.rps_8_connections} | ${r.errors} |`,
  );
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ articles, duration, pinned, node: process.version, results }, null, 2)}\n`,
);
