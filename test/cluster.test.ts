import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { createKey } from '../src/modules/keys/repository.ts';
import { PROBLEM_JSON, serverUrl } from './helpers.ts';
import { type Cluster, postgresBinDir, startCluster, startReplica } from './postgres-cluster.ts';

// Real Postgres processes of this test's own, stopped and started under load: only in the server-engine
// run (the embedded run has no server to lose), and only where the Postgres packages are installed.
const skip = !serverUrl
  ? 'runs with the server engine (TEST_DATABASE_URL)'
  : !postgresBinDir
    ? 'needs initdb and pg_ctl from the Postgres packages'
    : false;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let primary: Cluster;
before(async () => {
  if (skip) return;
  primary = await startCluster();
  const admin = await openDatabase({ kind: 'server', url: primary.url() });
  await sql`create database newsdesk`.execute(admin.db);
  await admin.close();
  const database = await openDatabase({ kind: 'server', url: primary.url('newsdesk') });
  await migrateToLatest(database.db);
  await database.close();
});
after(() => primary?.destroy());

async function startApi(readUrl?: string) {
  const database = await openDatabase({ kind: 'server', url: primary.url('newsdesk'), poolMax: 5 });
  const readDatabase = readUrl ? await openDatabase({ kind: 'server', url: readUrl, poolMax: 5 }) : undefined;
  const config = loadConfig({
    RATE_LIMIT_KEY_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
  });
  const app: FastifyInstance = await buildApp({
    config,
    database,
    ...(readDatabase ? { readDatabase } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const { secret } = await createKey(database.db, { name: `cluster ${Date.now()}`, scopes: ['admin'] });
  return {
    database,
    base: `http://127.0.0.1:${port}`,
    auth: { authorization: `Bearer ${secret}` },
    async close() {
      await app.close();
      await readDatabase?.close();
      await database.close();
    },
  };
}

interface Attempt {
  slug: string;
  status: number;
  ms: number;
  problem?: { type: string; retryAfter: string | null };
}

describe('a database outage under load', { skip }, () => {
  test('writes fail fast with 503 while Postgres is down, recover without a restart, and every 201 is kept', async () => {
    const api = await startApi();
    const attempts: Attempt[] = [];
    let running = true;
    let n = 0;
    const writer = async (worker: number) => {
      while (running) {
        const slug = `outage-${worker}-${n++}`;
        const started = performance.now();
        const response = await fetch(`${api.base}/v1/articles`, {
          method: 'POST',
          headers: { ...api.auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            slug,
            title: `停电测试 ${slug}`,
            body_html: `<p>${slug} 的正文。</p>`,
            status: 'published',
            published_at: '2026-11-27T10:00:00Z',
          }),
        });
        const body = (await response.json()) as { type: string };
        const attempt: Attempt = { slug, status: response.status, ms: performance.now() - started };
        if (response.status >= 400) {
          assert.match(response.headers.get('content-type') ?? '', PROBLEM_JSON);
          attempt.problem = { type: body.type, retryAfter: response.headers.get('retry-after') };
        }
        attempts.push(attempt);
        if (response.status === 503) await sleep(50);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    try {
      await sleep(1500);
      primary.stop('immediate'); // a crash, not a polite shutdown: transactions in flight are lost
      const downAt = attempts.length;
      await sleep(1500);

      const live = await fetch(`${api.base}/health/live`);
      assert.equal(live.status, 200, 'liveness stays up');
      const readyStarted = performance.now();
      const ready = await fetch(`${api.base}/health/ready`);
      assert.equal(ready.status, 503, 'readiness reports not ready');
      assert.ok(performance.now() - readyStarted < 2500, 'readiness answers within the connect timeout');
      const read = await fetch(`${api.base}/v1/articles?limit=5`);
      assert.equal(read.status, 503);
      assert.ok(Number(read.headers.get('retry-after')) > 0, 'a 503 says when to retry');

      primary.start();
      const upAt = performance.now();
      while ((await fetch(`${api.base}/health/ready`)).status !== 200) {
        assert.ok(performance.now() - upAt < 15000, 'ready again after Postgres returns');
        await sleep(100);
      }
      const recoveredAt = attempts.length;
      await sleep(1500);
      running = false;
      await Promise.all(writers);

      const statuses = new Set(attempts.map((a) => a.status));
      assert.deepEqual([...statuses].sort(), [201, 503], `only 201s and 503s: ${[...statuses]}`);
      assert.ok(
        attempts.slice(downAt, recoveredAt).some((a) => a.status === 503),
        'writes during the outage were refused',
      );
      assert.ok(
        attempts.slice(recoveredAt).some((a) => a.status === 201),
        'writes succeed again after Postgres returns, without a restart',
      );
      for (const failed of attempts.filter((a) => a.status === 503)) {
        assert.ok(failed.problem?.retryAfter, `503 for ${failed.slug} has Retry-After`);
        assert.match(failed.problem?.type ?? '', /database-unavailable|database-busy/);
      }
      const slowest = Math.max(...attempts.map((a) => a.ms));
      assert.ok(
        slowest < 5000,
        `no request hung while Postgres was away (slowest ${Math.round(slowest)} ms)`,
      );

      const rows = await api.database.db
        .selectFrom('articles')
        .select([
          'slug',
          'title',
          'body_text',
          'revision',
          sql<boolean>`search_vector is not null`.as('indexed'),
        ])
        .where('slug', 'like', 'outage-%')
        .execute();
      const stored = new Map(rows.map((row) => [row.slug, row]));
      for (const acknowledged of attempts.filter((a) => a.status === 201)) {
        assert.ok(stored.has(acknowledged.slug), `the acknowledged write ${acknowledged.slug} was kept`);
      }
      // A write whose answer was lost may or may not have committed, but it is never half there.
      for (const row of rows) {
        assert.equal(row.title, `停电测试 ${row.slug}`);
        assert.equal(row.body_text, `${row.slug} 的正文。`);
        assert.equal(row.revision, 1);
        assert.ok(row.indexed, `${row.slug} has its search vector`);
      }
      const { rows: connections } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity where datname = 'newsdesk' and pid <> pg_backend_pid()
      `.execute(api.database.db);
      assert.ok((connections[0]?.n ?? 0) <= 5, 'no more connections than the pool size: none leaked');
      const refused = attempts.filter((a) => a.status === 503).length;
      console.log(
        `# outage: ${attempts.length} writes, ${attempts.length - refused} kept, ${refused} refused`,
      );
    } finally {
      running = false;
      await Promise.all(writers).catch(() => {});
      await api.close();
    }
  });
});

describe('a read replica (DATABASE_READ_URL)', { skip }, () => {
  let replica: Cluster;
  before(async () => {
    if (!skip) replica = await startReplica(primary);
  });
  after(() => replica?.destroy());

  test('anonymous reads come from the replica; a client with a key reads its own writes at once', async () => {
    const api = await startApi(replica.url('newsdesk'));
    const replicaAdmin = await openDatabase({ kind: 'server', url: replica.url('newsdesk') });
    try {
      const write = (slug: string) =>
        fetch(`${api.base}/v1/articles`, {
          method: 'POST',
          headers: { ...api.auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            slug,
            title: slug,
            status: 'published',
            published_at: '2026-11-27T10:00:00Z',
          }),
        });
      const { rows } = await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(
        replicaAdmin.db,
      );
      assert.equal(rows[0]?.standby, true, 'the replica is a streaming standby');

      // Replay paused: the replica stays behind, which shows who answers each read.
      await sql`select pg_wal_replay_pause()`.execute(replicaAdmin.db);
      assert.equal((await write('replica-lag')).status, 201);
      const ownRead = await fetch(`${api.base}/v1/articles/replica-lag`, { headers: api.auth });
      assert.equal(ownRead.status, 200, 'the writer, with its key, reads the primary and sees its write');
      const publicRead = await fetch(`${api.base}/v1/articles/replica-lag`);
      assert.equal(publicRead.status, 404, 'the anonymous read went to the (paused) replica');

      await sql`select pg_wal_replay_resume()`.execute(replicaAdmin.db);
      const started = performance.now();
      while ((await fetch(`${api.base}/v1/articles/replica-lag`)).status !== 200) {
        assert.ok(performance.now() - started < 10000, 'the replica catches up');
        await sleep(50);
      }
      const write2 = await fetch(`${api.base}/v1/articles/replica-lag`, {
        method: 'PATCH',
        headers: { ...api.auth, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ title: 'changed on the primary' }),
      });
      assert.equal(write2.status, 200, 'writes always go to the primary (a replica would refuse them)');

      // Losing the replica costs capacity, not the public site: anonymous reads move to the primary.
      await replicaAdmin.close();
      replica.stop('fast');
      const stoppedAt = performance.now();
      let answered = 0;
      while (performance.now() - stoppedAt < 4000) {
        const read = await fetch(`${api.base}/v1/articles/replica-lag`);
        if (read.status === 200) answered++;
        else
          assert.equal(
            read.status,
            503,
            'until the next check, a read that reaches the stopped replica is a 503',
          );
        await sleep(100);
      }
      const afterCheck = await fetch(`${api.base}/v1/articles/replica-lag`);
      assert.equal(afterCheck.status, 200, 'once the check notices, the primary answers anonymous reads');
      assert.equal(
        ((await afterCheck.json()) as { data: { title: string } }).data.title,
        'changed on the primary',
      );
      assert.ok(answered > 0);
      replica.start();
    } finally {
      await replicaAdmin.close().catch(() => {});
      await api.close();
    }
  });
});
