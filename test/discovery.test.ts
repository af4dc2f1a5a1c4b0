import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
let category: { id: number; slug: string; name: string };
let published: { id: number; slug: string; title: string }[] = [];
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

before(async () => {
  ctx = await startTestApp({
    PUBLIC_BASE_URL: 'https://api.news.example.com',
    ARTICLE_URL_TEMPLATE: 'https://news.example.com/a/{slug}',
    SITE_TITLE: '云岭新闻',
  });
  category = await makeCategory(ctx, { name: '新闻动态' });
  const source = await makeSource(ctx, { name: 'IT之家' });
  published = [
    await makeArticle(ctx, {
      category_id: category.id,
      source_id: source.id,
      title: '谷歌公布 TPU v4 超级计算机细节',
      author: '故渊',
      tags: ['谷歌', 'TPU'],
      published_at: '2023-04-05T09:09:19+08:00',
      cover_image: { url: 'https://img.example.com/tpu.jpg', credit: '图片来自网络/侵删' },
    }),
    await makeArticle(ctx, {
      category_id: category.id,
      title: '南部算力中心啟用 新一代超級計算機助攻 AI 研發',
      lang: 'zh-Hant',
      tags: ['超級計算機'],
      published_at: '2024-01-10T10:00:00+08:00',
    }),
  ];
  await makeArticle(ctx, {
    category_id: category.id,
    title: '草稿不应出现在订阅源中',
    status: 'draft',
    published_at: null,
  });
  await makeArticle(ctx, {
    category_id: category.id,
    title: '定时发布的文章',
    published_at: '2999-01-01T00:00:00Z',
  });
});
after(() => ctx.close());

const fetchFeed = (path: string) => ctx.request({ method: 'GET', url: path });

describe('feeds', () => {
  test('RSS 2.0: a valid channel with absolute links, RFC 822 dates and CJK intact', async () => {
    const response = await fetchFeed(`/v1/feeds/rss.xml?category=${category.slug}`);
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^application\/rss\+xml; charset=utf-8/);
    const { rss } = xml.parse(response.body);
    assert.equal(rss['@version'], '2.0');
    assert.equal(rss.channel.title, '云岭新闻 · 新闻动态');
    assert.ok(rss.channel.description);
    assert.equal(rss.channel.link, 'https://api.news.example.com/');
    const items = [rss.channel.item].flat();
    assert.deepEqual(
      items.map((item: { title: string }) => item.title),
      [published[1]?.title, published[0]?.title],
      'newest first; drafts and scheduled articles left out',
    );
    assert.equal(items[1].link, `https://news.example.com/a/${encodeURIComponent(published[0]?.slug ?? '')}`);
    assert.equal(new Date(items[1].pubDate).toISOString(), '2023-04-05T01:09:19.000Z');
    assert.match(items[1].pubDate, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  });

  test('Atom: ids, RFC 3339 updated times and a self link', async () => {
    const response = await fetchFeed(`/v1/feeds/atom.xml?category=${category.id}&lang=zh-Hans`);
    assert.match(response.headers['content-type'] as string, /^application\/atom\+xml/);
    const { feed } = xml.parse(response.body);
    assert.equal(feed['@xmlns'], 'http://www.w3.org/2005/Atom');
    assert.ok(feed.id);
    assert.match(feed.updated, RFC3339);
    const links = [feed.link].flat();
    assert.ok(
      links.some(
        (link: Record<string, string>) =>
          link['@rel'] === 'self' &&
          (link['@href'] ?? '').startsWith('https://api.news.example.com/v1/feeds/atom.xml?'),
      ),
    );
    const entries = [feed.entry].flat();
    assert.equal(entries.length, 1, 'lang filter applies');
    assert.match(entries[0].title['#text'] ?? entries[0].title, /谷歌公布 TPU v4 超级计算机细节/);
    assert.match(entries[0].updated, RFC3339);
  });

  test('JSON Feed 1.1: version, items with ids, urls, authors and dates', async () => {
    const response = await fetchFeed(
      `/v1/feeds/feed.json?category=${category.id}&q=${encodeURIComponent('超级计算机')}`,
    );
    assert.match(response.headers['content-type'] as string, /^application\/feed\+json/);
    const feed = JSON.parse(response.body);
    assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
    assert.equal(feed.title, '云岭新闻 · 新闻动态');
    assert.ok(feed.feed_url.startsWith('https://api.news.example.com/v1/feeds/feed.json?'));
    assert.equal(feed.items.length, 2, 'the search matches simplified and traditional');
    const tpu = feed.items.find((item: { title: string }) => item.title.startsWith('谷歌'));
    assert.equal(typeof tpu.id, 'string');
    assert.match(tpu.url, /^https:\/\/news\.example\.com\/a\//);
    assert.deepEqual(tpu.authors, [{ name: '故渊' }]);
    assert.equal(tpu.author, undefined);
    assert.deepEqual(tpu.tags, ['谷歌', 'TPU']);
    assert.equal(tpu.image, 'https://img.example.com/tpu.jpg');
    assert.match(tpu.date_published, RFC3339);
    assert.match(tpu.content_html, /<p>/);
  });

  test('feed filters are validated like listing filters', async () => {
    const unknownParam = await fetchFeed('/v1/feeds/rss.xml?colour=red');
    assert.equal(unknownParam.statusCode, 400);
    assert.match(unknownParam.headers['content-type'] as string, PROBLEM_JSON);
    const unknownCategory = await fetchFeed('/v1/feeds/feed.json?category=no-such-category');
    assert.equal(unknownCategory.statusCode, 400);
    assert.equal(unknownCategory.json().errors[0].path, '/category');
  });
});

describe('related articles', () => {
  test('shares category, tags or title terms; best first; never the article itself or unpublished ones', async () => {
    const other = await makeCategory(ctx);
    const base = await makeArticle(ctx, {
      category_id: other.id,
      title: '国产 GPU 芯片量产',
      tags: ['芯片', 'GPU'],
    });
    const sameTagsAndCategory = await makeArticle(ctx, {
      category_id: other.id,
      title: '晶圆厂扩产计划公布',
      tags: ['芯片', 'GPU'],
    });
    const titleOnly = await makeArticle(ctx, { title: 'GPU 芯片价格回落', tags: [] });
    const unrelated = await makeArticle(ctx, { title: '城市马拉松周末开跑', tags: ['体育'] });
    const hidden = await makeArticle(ctx, {
      category_id: other.id,
      title: '国产 GPU 芯片草稿',
      status: 'draft',
      tags: ['芯片'],
    });

    const response = await ctx.request({ method: 'GET', url: `/v1/articles/${base.slug}/related?limit=10` });
    assert.equal(response.statusCode, 200);
    const ids = response.json().data.map((item: { id: number }) => item.id);
    assert.equal(ids[0], sameTagsAndCategory.id);
    assert.ok(ids.includes(titleOnly.id));
    for (const excluded of [base.id, unrelated.id, hidden.id]) assert.ok(!ids.includes(excluded));
    assert.equal(response.json().data[0].body_html, undefined);

    const missing = await ctx.request({ method: 'GET', url: '/v1/articles/no-such-article/related' });
    assert.equal(missing.statusCode, 404);
  });
});
