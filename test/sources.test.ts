import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeArticle, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

/**
 * A timestamp as microseconds since the epoch. The API keeps every digit Postgres has and Postgres drops
 * trailing zeros, so ".12Z" and ".125Z" do not compare as strings (and Date.parse stops at milliseconds).
 */
const instant = (rfc3339: string) => {
  const fraction = /\.(\d+)/.exec(rfc3339)?.[1] ?? '';
  return (
    BigInt(Date.parse(rfc3339.replace(/\.\d+/, ''))) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6))
  );
};

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('sources', () => {
  test('a source is created, fetched by id and by slug, updated and deleted', async () => {
    const created = await makeSource(ctx, {
      name: 'IT之家',
      slug: unique('ithome'),
      description: '科技门户',
    });
    assert.equal(created.name, 'IT之家');
    assert.equal(created.revision, 1);
    assert.match(created.created_at, /Z$/);

    const byId = await ctx.request({ method: 'GET', url: `/v1/sources/${created.id}` });
    assert.equal(byId.statusCode, 200);
    assert.deepEqual(byId.json().data, created);
    const bySlug = await ctx.request({
      method: 'GET',
      url: `/v1/sources/${encodeURIComponent(created.slug)}`,
    });
    assert.equal(bySlug.json().data.id, created.id);

    const patched = await ctx.request({
      method: 'PATCH',
      url: `/v1/sources/${created.id}`,
      payload: { homepage_url: null, description: '青岛软媒旗下' },
    });
    assert.equal(patched.statusCode, 200);
    assert.equal(patched.json().data.homepage_url, null);
    assert.equal(patched.json().data.description, '青岛软媒旗下');
    assert.equal(patched.json().data.name, 'IT之家');
    assert.equal(patched.json().data.revision, 2);
    assert.ok(instant(patched.json().data.updated_at) > instant(created.updated_at));

    const deleted = await ctx.request({ method: 'DELETE', url: `/v1/sources/${created.id}` });
    assert.equal(deleted.statusCode, 204);
    const gone = await ctx.request({ method: 'GET', url: `/v1/sources/${created.id}` });
    assert.equal(gone.statusCode, 404);
    assert.match(gone.headers['content-type'] as string, PROBLEM_JSON);
  });

  test('a Chinese name gives a Chinese slug, and a second one with the same name gets a numbered slug', async () => {
    const name = `新华网${unique()}`;
    const first = await makeSource(ctx, { name });
    const second = await makeSource(ctx, { name });
    assert.equal(first.slug, name.toLowerCase());
    assert.equal(second.slug, `${name.toLowerCase()}-2`);
  });

  test('a taken slug is a 409 naming the slug', async () => {
    const slug = unique('taken');
    await makeSource(ctx, { slug });
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'Other', slug },
    });
    assert.equal(response.statusCode, 409);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
    assert.match(response.json().detail, new RegExp(slug));
    assert.equal(response.json().errors[0].path, '/slug');
  });

  test('a source that articles cite cannot be deleted, and the 409 says why', async () => {
    const source = await makeSource(ctx);
    await makeArticle(ctx, { source_id: source.id });
    const response = await ctx.request({ method: 'DELETE', url: `/v1/sources/${source.slug}` });
    assert.equal(response.statusCode, 409);
    assert.match(response.json().detail, /1 article/);
    assert.equal((await ctx.request({ method: 'GET', url: `/v1/sources/${source.id}` })).statusCode, 200);
  });

  test('listing pages by name with a cursor and counts public articles', async () => {
    const prefix = unique('zz');
    const made: { id: number }[] = [];
    for (let i = 0; i < 3; i++) made.push(await makeSource(ctx, { name: `${prefix} ${i}` }));
    await makeArticle(ctx, { source_id: made[0]?.id });
    await makeArticle(ctx, { source_id: made[0]?.id, status: 'draft' });

    const seen: { id: number; name: string; article_count: number }[] = [];
    let url = '/v1/sources?limit=2';
    for (let guard = 0; guard < 100 && url; guard++) {
      const page = await ctx.request({ method: 'GET', url });
      assert.equal(page.statusCode, 200);
      seen.push(...page.json().data);
      const next = page.json().meta.next_cursor;
      url = next ? `/v1/sources?limit=2&cursor=${next}` : '';
    }
    const names = seen.map((s) => s.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.equal(new Set(seen.map((s) => s.id)).size, seen.length, 'no source is repeated');
    const first = seen.find((s) => s.id === made[0]?.id);
    assert.equal(first?.article_count, 1, 'drafts are not counted');
  });

  test('unknown fields and blank names are 400 problems naming the field', async () => {
    const unknownField = await ctx.request({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'X', rank: 1 },
    });
    assert.equal(unknownField.statusCode, 400);
    assert.deepEqual(unknownField.json().errors, [
      { path: '/rank', location: 'body', message: 'is not a known field' },
    ]);

    const blank = await ctx.request({ method: 'POST', url: '/v1/sources', payload: { name: '   ' } });
    assert.equal(blank.statusCode, 400);
    assert.equal(blank.json().errors[0].path, '/name');

    const badUrl = await ctx.request({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'X', homepage_url: 'javascript:alert(1)' },
    });
    assert.equal(badUrl.statusCode, 400);
    assert.equal(badUrl.json().errors[0].path, '/homepage_url');
  });
});
