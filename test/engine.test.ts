import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { ConfigError, loadConfig, settingsSchema } from '../src/config.ts';
import { DataDirLockedError } from '../src/db/data-dir-lock.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateDown, migrateToLatest } from '../src/db/migrator.ts';
import { precompile } from '../src/db/precompiled.ts';
import { accessControl } from '../src/http/access.ts';
import { freshServerDatabase, serverUrl, startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const tables = async () =>
  (
    await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' and table_name in ('articles', 'sources', 'categories')
    `.execute(ctx.database.db)
  ).rows
    .map((row) => row.table_name)
    .sort();

describe('migrations', () => {
  test('every migration has a working down, and up again restores the schema', async () => {
    assert.deepEqual(await tables(), ['articles', 'categories', 'sources']);
    let results: string[] = [];
    do {
      results = await migrateDown(ctx.database.db);
    } while (results.length > 0);
    assert.deepEqual(await tables(), []);
    await migrateToLatest(ctx.database.db);
    assert.deepEqual(await tables(), ['articles', 'categories', 'sources']);
    const secret = await ctx.key('content:write'); // the keys went down with their table
    const created = await ctx.anonymous({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'After re-migration' },
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(created.statusCode, 201);
  });

  test('the database refuses what the API would refuse, even when the code forgets', async () => {
    const db = ctx.database.db;
    await assert.rejects(
      db.insertInto('articles').values({ slug: 'blank-title', title: '  ' }).execute(),
      /articles_title_check/,
    );
    await assert.rejects(
      db
        .insertInto('articles')
        .values({ slug: 'bad-status', title: 'x', status: 'live' as never })
        .execute(),
      /articles_status_check/,
    );
    await assert.rejects(
      db
        .insertInto('articles')
        .values({ slug: 'no-date', title: 'x', status: 'published', published_at: null })
        .execute(),
      /articles_published_has_date/,
    );
    await assert.rejects(
      db.insertInto('articles').values({ slug: '12345', title: 'x' }).execute(),
      /articles_slug_check/,
    );
  });
});

describe('the embedded engine', () => {
  test('a data folder is locked by one process at a time, and a dead holder’s lock is taken over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'newsdesk-lock-'));
    try {
      writeFileSync(join(dataDir, 'newsdesk.lock'), '999999999'); // left by a process that no longer runs
      const first = await openDatabase({ kind: 'embedded', dataDir });
      await assert.rejects(openDatabase({ kind: 'embedded', dataDir }), DataDirLockedError);
      await first.close();
      const again = await openDatabase({ kind: 'embedded', dataDir });
      await again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  test('every setting is documented in .env.example and the README', () => {
    const envExample = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(settingsSchema.properties)) {
      assert.match(envExample, new RegExp(`^${name}=`, 'm'), `${name} in .env.example`);
      assert.ok(readme.includes(`| \`${name}\``), `${name} in the README's settings table`);
    }
  });

  test('an invalid setting is refused with a message naming the variable', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty' }),
      (error: Error) => error instanceof ConfigError && /PORT/.test(error.message),
    );
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
    assert.equal(loadConfig({ PORT: '8080' }).port, 8080);
  });

  test('links point at the port the API listens on unless PUBLIC_BASE_URL says otherwise', () => {
    assert.equal(loadConfig({ PORT: '8080' }).publicBaseUrl, 'http://localhost:8080');
    assert.equal(
      loadConfig({ PORT: '8080', PUBLIC_BASE_URL: 'https://news.example.com/' }).publicBaseUrl,
      'https://news.example.com',
    );
  });

  test('npm start with a bad setting stops with one clear line', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'Invalid configuration: PORT must be integer');
  });

  test('a route that does not declare its access refuses to boot', async () => {
    const app = Fastify();
    await app.register(accessControl);
    app.register(async (routes) => {
      routes.get('/v1/secret', async () => 'open?');
    });
    await assert.rejects(async () => app.ready(), /GET \/v1\/secret does not declare config\.access/);
  });
});

describe('the server engine', () => {
  test('precompiled lookups run as prepared statements (unless DATABASE_PREPARED_STATEMENTS is off); other queries never do', {
    skip: !serverUrl,
  }, async () => {
    const lookup = precompile(
      (db, slot) => db.selectFrom('articles').select('id').where('slug', '=', slot('slug')),
      { prepared: true },
    );
    const fresh = await freshServerDatabase();
    after(() => fresh.drop());
    for (const preparedStatements of [true, false]) {
      const database = await openDatabase({ kind: 'server', url: fresh.url, poolMax: 1, preparedStatements });
      try {
        await migrateToLatest(database.db);
        for (const slug of ['a', 'b']) assert.deepEqual(await lookup(database.db, { slug }), []);
        // Planned for its values every time: a generic plan could suit one value and not the next.
        for (const n of [1, 2]) await sql`select ${n}::int as n`.execute(database.db);
        const { rows } = await sql<{ statement: string }>`
          select statement from pg_prepared_statements
        `.execute(database.db);
        assert.deepEqual(
          rows.map((row) => /"slug" = \$1/.test(row.statement)),
          preparedStatements ? [true] : [],
          `preparedStatements: ${preparedStatements}`,
        );
      } finally {
        await database.close();
      }
    }
  });

  test('a connection the server drops does not crash the process; the next query gets a new one', {
    skip: !serverUrl,
  }, async () => {
    const lost: string[] = [];
    const database = await openDatabase(
      { kind: 'server', url: serverUrl as string, poolMax: 2 },
      { onConnectionError: (error) => lost.push(error.message) },
    );
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      const admin = await openDatabase({ kind: 'server', url: serverUrl as string, poolMax: 1 });
      await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(admin.db);
      await admin.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(lost.length, 1, 'the dropped idle connection was reported');
      const again = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.equal(again.rows[0]?.one, 1);
    } finally {
      await database.close();
    }
  });
});
