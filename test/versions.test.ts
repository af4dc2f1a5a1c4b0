import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('ETags and conditional requests', () => {
  test('a GET gives a strong ETag, and If-None-Match with it is a 304', async () => {
    const article = await makeArticle(ctx);
    const first = await ctx.anonymous({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(first.headers.etag, `"article-${article.id}-r1"`);
    ctx.queries.length = 0;
    const again = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles/${article.slug}`,
      headers: { 'if-none-match': `W/"other", ${first.headers.etag}` },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, first.headers.etag);
    assert.ok(
      ctx.queries.every((query) => !query.includes('body_html')),
      'a revalidation does not load the body',
    );
    const stale = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles/${article.slug}`,
      headers: { 'if-none-match': `"article-${article.id}-r0"` },
    });
    assert.equal(stale.statusCode, 200, 'an old ETag gets the current article');
    assert.equal(stale.json().data.id, article.id);

    const list = await ctx.anonymous({ method: 'GET', url: '/v1/articles?limit=5' });
    assert.match(list.headers.etag as string, /^"[^"]+"$/);
    const listAgain = await ctx.anonymous({
      method: 'GET',
      url: '/v1/articles?limit=5',
      headers: { 'if-none-match': list.headers.etag as string },
    });
    assert.equal(listAgain.statusCode, 304);
  });

  test('a listing’s ETag changes when a listed article or an included source changes, and only then', async () => {
    const source = await makeSource(ctx);
    const article = await makeArticle(ctx, { source_id: source.id, published_at: '2031-01-01T00:00:00Z' });
    await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      payload: { published_at: '2025-12-31T00:00:00Z' },
    });
    const url = `/v1/articles?limit=3&source=${source.slug}&include=source`;
    const etagOf = async () => (await ctx.anonymous({ method: 'GET', url })).headers.etag as string;
    const first = await etagOf();
    assert.equal(await etagOf(), first, 'the same content has the same ETag');
    await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      payload: { title: '改过的标题' },
    });
    const second = await etagOf();
    assert.notEqual(second, first, 'an edited article changes it');
    await ctx.request({ method: 'PATCH', url: `/v1/sources/${source.id}`, payload: { name: '改过的来源' } });
    assert.notEqual(await etagOf(), second, 'an edited included source changes it');
  });

  test('PATCH with the current ETag succeeds and returns the next one; a stale one is a 412 naming the current', async () => {
    const article = await makeArticle(ctx);
    const etag = `"article-${article.id}-r1"`;
    const ok = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      headers: { 'if-match': etag },
      payload: { title: '第二版' },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers.etag, `"article-${article.id}-r2"`);

    const stale = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      headers: { 'if-match': etag },
      payload: { title: '覆盖' },
    });
    assert.equal(stale.statusCode, 412);
    assert.match(stale.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(stale.json().current_etag, `"article-${article.id}-r2"`);
    assert.equal(stale.headers.etag, `"article-${article.id}-r2"`);
    const current = await ctx.request({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(current.json().data.title, '第二版', 'the stale write changed nothing');
  });

  test('two editors racing with the same ETag: exactly one wins, the other gets 412', async () => {
    const article = await makeArticle(ctx);
    const etag = `"article-${article.id}-r1"`;
    const results = await Promise.all(
      ['编辑甲的标题', '编辑乙的标题'].map((title) =>
        ctx.request({
          method: 'PATCH',
          url: `/v1/articles/${article.id}`,
          headers: { 'if-match': etag },
          payload: { title },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [200, 412]);
    const winner = results.find((r) => r.statusCode === 200)?.json().data.title;
    const stored = await ctx.request({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(stored.json().data.title, winner);
    assert.equal(stored.json().data.revision, 2);
  });

  test('DELETE honours If-Match; sources and categories too', async () => {
    const article = await makeArticle(ctx);
    const stale = await ctx.request({
      method: 'DELETE',
      url: `/v1/articles/${article.id}`,
      headers: { 'if-match': `"article-${article.id}-r9"` },
    });
    assert.equal(stale.statusCode, 412);
    const gone = await ctx.request({
      method: 'DELETE',
      url: `/v1/articles/${article.id}`,
      headers: { 'if-match': `"article-${article.id}-r1"` },
    });
    assert.equal(gone.statusCode, 204);

    const source = await makeSource(ctx);
    const sourceGet = await ctx.anonymous({ method: 'GET', url: `/v1/sources/${source.id}` });
    assert.equal(sourceGet.headers.etag, `"source-${source.id}-r1"`);
    const staleSource = await ctx.request({
      method: 'PATCH',
      url: `/v1/sources/${source.id}`,
      headers: { 'if-match': `"source-${source.id}-r0"` },
      payload: { name: 'x' },
    });
    assert.equal(staleSource.statusCode, 412);

    const category = await makeCategory(ctx);
    const patched = await ctx.request({
      method: 'PATCH',
      url: `/v1/categories/${category.id}`,
      headers: { 'if-match': `"category-${category.id}-r1"` },
      payload: { name: '新名字' },
    });
    assert.equal(patched.statusCode, 200);
    const staleCategory = await ctx.request({
      method: 'DELETE',
      url: `/v1/categories/${category.id}`,
      headers: { 'if-match': `"category-${category.id}-r1"` },
    });
    assert.equal(staleCategory.statusCode, 412);
    const any = await ctx.request({
      method: 'DELETE',
      url: `/v1/categories/${category.id}`,
      headers: { 'if-match': '*' },
    });
    assert.equal(any.statusCode, 204);
  });

  test('public reads are cacheable; keyed reads, errors and health checks are not', async () => {
    const article = await makeArticle(ctx);
    const cached = await ctx.anonymous({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(cached.headers['cache-control'], 'public, max-age=30, stale-while-revalidate=60');
    assert.match(cached.headers.vary as string, /authorization/i);
    const keyed = await ctx.request({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(keyed.headers['cache-control'], 'no-store');
    const missing = await ctx.anonymous({ method: 'GET', url: '/v1/articles/no-such-article' });
    assert.equal(missing.headers['cache-control'], 'no-store');
    const health = await ctx.anonymous({ method: 'GET', url: '/health/ready' });
    assert.equal(health.headers['cache-control'], 'no-store');
  });
});
