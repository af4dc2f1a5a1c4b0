import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeArticle } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const createSource = (authorization?: string) =>
  ctx.anonymous({
    method: 'POST',
    url: '/v1/sources',
    payload: { name: unique('来源') },
    ...(authorization ? { headers: { authorization } } : {}),
  });

describe('API keys and scopes', () => {
  test('no write without a key: 401 problem with WWW-Authenticate', async () => {
    const response = await createSource();
    assert.equal(response.statusCode, 401);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
    assert.match(response.headers['www-authenticate'] as string, /^Bearer/);
    for (const [method, url] of [
      ['PATCH', '/v1/sources/1'],
      ['DELETE', '/v1/articles/1'],
      ['POST', '/v1/categories'],
      ['GET', '/v1/keys'],
    ] as const) {
      assert.equal((await ctx.anonymous({ method, url, payload: {} })).statusCode, 401, `${method} ${url}`);
    }
  });

  test('a malformed header, an unknown key and a revoked key are 401s, even on public routes', async () => {
    assert.equal((await createSource('Basic YWRtaW46YWRtaW4=')).statusCode, 401);
    assert.equal((await createSource('Bearer nd_not-a-real-key')).statusCode, 401);
    const secret = await ctx.key('content:write');
    assert.equal((await createSource(`Bearer ${secret}`)).statusCode, 201);
    const prefix = secret.slice(0, 11);
    const revoked = await ctx.request({ method: 'DELETE', url: `/v1/keys/${prefix}` });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().data.revoked_at);
    assert.equal((await createSource(`Bearer ${secret}`)).statusCode, 401);
    const publicRead = await ctx.anonymous({
      method: 'GET',
      url: '/v1/articles',
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(publicRead.statusCode, 401);
  });

  test('a stolen read key cannot write, but sees drafts', async () => {
    const readKey = `Bearer ${await ctx.key('content:read')}`;
    const denied = await createSource(readKey);
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json().detail, /content:write/);
    const draft = await makeArticle(ctx, { status: 'draft', published_at: null });
    const seen = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles/${draft.id}`,
      headers: { authorization: readKey },
    });
    assert.equal(seen.statusCode, 200);
    const listed = await ctx.anonymous({
      method: 'GET',
      url: '/v1/articles?status=draft&limit=100',
      headers: { authorization: readKey },
    });
    assert.ok(listed.json().data.some((a: { id: number }) => a.id === draft.id));
  });

  test('a write key cannot manage keys; an admin key can, and a secret is shown only once', async () => {
    const writeKey = `Bearer ${await ctx.key('content:write')}`;
    const forbidden = await ctx.anonymous({
      method: 'GET',
      url: '/v1/keys',
      headers: { authorization: writeKey },
    });
    assert.equal(forbidden.statusCode, 403);

    const created = await ctx.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'editor', scopes: ['content:write'] },
    });
    assert.equal(created.statusCode, 201);
    const { data, secret } = created.json();
    assert.match(secret, /^nd_[A-Za-z0-9_-]{32}$/);
    assert.equal(data.prefix, secret.slice(0, 11));
    const listed = await ctx.request({ method: 'GET', url: '/v1/keys' });
    assert.ok(!listed.body.includes(secret), 'the secret is never listed');
    const stored = await ctx.database.db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('id', '=', data.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(stored.secret_hash, secret);
    assert.match(stored.secret_hash, /^[0-9a-f]{64}$/);

    assert.equal((await createSource(`Bearer ${secret}`)).statusCode, 201);
    const used = (await ctx.request({ method: 'GET', url: '/v1/keys' }))
      .json()
      .data.find((k: { id: number }) => k.id === data.id);
    assert.ok(used.last_used_at, 'last use is recorded');
  });

  test('unknown scopes are refused', async () => {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'x', scopes: ['root'] },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().errors[0].path, /^\/scopes/);
  });

  test('npm run key -- create / list / revoke manage keys from the command line', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'newsdesk-keys-'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/key.ts', ...args], {
        env: { ...process.env, DATABASE_URL: '', NEWSDESK_DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 120000,
      });
    try {
      const created = run('create', '--name', 'editor', '--scope', 'content:write');
      assert.equal(created.status, 0, created.stderr);
      const secret = created.stdout.match(/nd_[A-Za-z0-9_-]+/)?.[0];
      assert.ok(secret);
      const listed = run('list');
      assert.match(
        listed.stdout,
        new RegExp(`${secret?.slice(0, 11)}…\\teditor\\tcontent:write\\tlast used never`),
      );
      assert.doesNotMatch(listed.stdout, new RegExp(secret ?? 'x'));
      assert.match(run('revoke', secret?.slice(0, 11) ?? '').stdout, /revoked key 1 "editor"/);
      assert.equal(run('create', '--name', 'x', '--scope', 'root').status, 2);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
