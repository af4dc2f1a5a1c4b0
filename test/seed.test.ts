import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedDemoContent } from '../db/seeds/demo.ts';
import { demoArticles } from '../db/seeds/demo-content.ts';
import { startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('demo content', () => {
  test('seeds a believable news site, and seeding again adds nothing', async () => {
    const first = await seedDemoContent(ctx.database.db);
    assert.deepEqual(first, { sources: 7, categories: 10, articles: demoArticles.length });
    assert.deepEqual(await seedDemoContent(ctx.database.db), { sources: 0, categories: 0, articles: 0 });

    const ithome = await ctx.request({ method: 'GET', url: '/v1/sources/ithome' });
    assert.equal(ithome.json().data.name, 'IT之家');
    assert.equal(ithome.json().data.homepage_url, 'https://www.ithome.com/');

    const crumbs = await ctx.request({ method: 'GET', url: '/v1/categories/news-updates/breadcrumbs' });
    assert.deepEqual(
      crumbs.json().data.map((c: { name: string }) => c.name),
      ['首页', '新闻中心', '新闻动态'],
    );

    const now = Date.now();
    const expectedPublic = demoArticles.filter(
      (a) => a.status === 'published' && Date.parse(a.published_at) <= now,
    );
    const listed = await ctx.request({ method: 'GET', url: '/v1/articles?limit=100&total=exact' });
    assert.equal(listed.json().meta.total, expectedPublic.length);
    const langs = new Set(listed.json().data.map((a: { lang: string }) => a.lang));
    assert.deepEqual([...langs].sort(), ['en', 'zh-Hans', 'zh-Hant']);
    assert.ok(listed.json().data.every((a: { published_at: string }) => /:\d\dZ$/.test(a.published_at)));
  });
});
