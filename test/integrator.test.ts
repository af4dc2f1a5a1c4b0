import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import createClient from 'openapi-fetch';
import { startTestApp, type TestContext, unique } from './helpers.ts';
import type { components, paths } from './integrator/schema.d.ts';

// An integrator's view: types generated from openapi/openapi.json, requests over a real socket.
let ctx: TestContext;
let client: ReturnType<typeof createClient<paths>>;

before(async () => {
  ctx = await startTestApp();
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = ctx.app.server.address() as AddressInfo;
  const secret = await ctx.key('content:write');
  client = createClient<paths>({
    baseUrl: `http://127.0.0.1:${port}`,
    headers: { authorization: `Bearer ${secret}` },
  });
});
after(() => ctx.close());

describe('a client generated from the OpenAPI document', () => {
  test('creates a source, a category and an article, then lists and fetches them', async () => {
    const source = await client.POST('/v1/sources', { body: { name: 'IT之家', slug: unique('ithome') } });
    assert.equal(source.response.status, 201);
    const category = await client.POST('/v1/categories', { body: { name: '新闻动态' } });
    const categoryId: number = category.data?.data.id ?? -1;

    const created = await client.POST('/v1/articles', {
      body: {
        title: '谷歌公布 TPU v4 超级计算机细节',
        body_html: '<p>谷歌公布了其超级计算机的新细节。</p>',
        status: 'published',
        published_at: '2023-04-05T09:09:19+08:00',
        source_id: source.data?.data.id ?? null,
        category_id: categoryId,
      },
    });
    assert.equal(created.response.status, 201);
    const article: components['schemas']['Article'] | undefined = created.data?.data;
    assert.equal(article?.published_at, '2023-04-05T01:09:19Z');

    const listed = await client.GET('/v1/articles', {
      params: { query: { category: String(categoryId), include: 'source', limit: 10 } },
    });
    assert.equal(listed.data?.data[0]?.id, article?.id);
    assert.equal(listed.data?.data[0]?.source?.name, 'IT之家');

    const fetched = await client.GET('/v1/articles/{idOrSlug}', {
      params: { path: { idOrSlug: article?.slug ?? '' } },
    });
    assert.equal(fetched.data?.data.title, '谷歌公布 TPU v4 超级计算机细节');
  });

  test('errors arrive typed as problems', async () => {
    const slug = unique('dup');
    await client.POST('/v1/sources', { body: { name: 'A', slug } });
    const duplicate = await client.POST('/v1/sources', { body: { name: 'B', slug } });
    const problem: components['schemas']['Problem'] | undefined = duplicate.error;
    assert.equal(duplicate.response.status, 409);
    assert.equal(problem?.status, 409);
    assert.match(duplicate.response.headers.get('content-type') ?? '', /application\/problem\+json/);

    const missing = await client.GET('/v1/categories/{idOrSlug}', {
      params: { path: { idOrSlug: 'no-such-category' } },
    });
    assert.equal(missing.error?.type, 'urn:newsdesk:problem:not-found');
  });
});
