import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const get = (url: string) => ctx.request({ method: 'GET', url });

describe('articles: writing', () => {
  test('a created article keeps every field, derives body_text and summary, and is readable by id and slug', async () => {
    const source = await makeSource(ctx, { name: 'IT之家' });
    const category = await makeCategory(ctx);
    const article = await makeArticle(ctx, {
      title: '谷歌公布 TPU v4 超级计算机细节',
      body_html:
        '<h2>背景</h2><p>谷歌周二公布了其用于训练人工智能模型的超级计算机的新细节。</p><p>该系统由 4000 多个 TPU 组成。</p>',
      author: '故渊',
      lang: 'zh-Hans',
      tags: ['谷歌', 'TPU', '谷歌'],
      published_at: '2023-04-05T09:09:19+08:00',
      source_id: source.id,
      source_url: 'https://www.ithome.com/0/684/123.htm',
      category_id: category.id,
      cover_image: {
        url: 'https://img.example.com/tpu.jpg',
        alt: 'TPU',
        caption: 'TPU v4 机柜',
        credit: '图片来自网络/侵删',
      },
    });
    assert.equal(article.published_at, '2023-04-05T01:09:19Z', 'stored to the second, served in UTC');
    assert.match(
      article.created_at,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/,
      'now(), to the microsecond',
    );
    assert.deepEqual(article.tags, ['谷歌', 'TPU'], 'duplicate tags are dropped');
    assert.equal(
      article.body_text,
      '背景\n\n谷歌周二公布了其用于训练人工智能模型的超级计算机的新细节。\n\n该系统由 4000 多个 TPU 组成。',
    );
    assert.match(article.summary, /^背景 谷歌周二公布/);
    assert.equal(article.cover_image.credit, '图片来自网络/侵删');
    assert.equal(article.slug, '谷歌公布-tpu-v4-超级计算机细节');
    assert.equal(article.revision, 1);

    const byId = await get(`/v1/articles/${article.id}`);
    assert.equal(byId.statusCode, 200);
    assert.deepEqual(byId.json().data, article);
    const bySlug = await get(`/v1/articles/${encodeURIComponent(article.slug)}`);
    assert.equal(bySlug.json().data.id, article.id);
  });

  test('a title in Chinese punctuation only, or digits only, still gives a usable unique slug', async () => {
    const punctuation = await makeArticle(ctx, { title: '《》！？' });
    assert.match(punctuation.slug, /^article(-\d+)?$/);
    const digits = await makeArticle(ctx, { title: '2024' });
    assert.match(digits.slug, /^article-2024(-\d+)?$/);
    const again = await makeArticle(ctx, { title: '2024' });
    assert.notEqual(again.slug, digits.slug);
  });

  test('body_html is sanitised: scripts, handlers and javascript: links go, external links get rel', async () => {
    const article = await makeArticle(ctx, {
      body_html:
        '<p onclick="steal()">正文<script>alert(1)</script><a href="javascript:alert(1)">坏链接</a> <a href="https://example.com/">外链</a></p><iframe src="https://evil.example/"></iframe>',
    });
    assert.equal(
      article.body_html,
      '<p>正文<a>坏链接</a> <a href="https://example.com/" rel="noopener nofollow">外链</a></p>',
    );
    assert.doesNotMatch(article.body_text, /alert/);
  });

  test('PATCH changes only the given fields, bumps revision, and null clears a nullable field', async () => {
    const source = await makeSource(ctx);
    const article = await makeArticle(ctx, { source_id: source.id, author: '王晓明' });
    const response = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      headers: { 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ title: '新标题', source_id: null }),
    });
    assert.equal(response.statusCode, 200);
    const patched = response.json().data;
    assert.equal(patched.title, '新标题');
    assert.equal(patched.source_id, null);
    assert.equal(patched.author, '王晓明');
    assert.equal(patched.slug, article.slug, 'the slug stays put when the title changes');
    assert.equal(patched.revision, 2);
  });

  test('a new body re-derives body_text, and the derived summary follows it', async () => {
    const article = await makeArticle(ctx, { body_html: '<p>旧的正文。</p>' });
    const response = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      payload: { body_html: '<p>新的正文。</p>' },
    });
    assert.equal(response.json().data.body_text, '新的正文。');
    assert.equal(response.json().data.summary, '新的正文。');
  });

  test('publishing without published_at sets it to now', async () => {
    const draft = await makeArticle(ctx, { status: 'draft', published_at: null });
    assert.equal(draft.published_at, null);
    const before = Date.now();
    const response = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${draft.id}`,
      payload: { status: 'published' },
    });
    const publishedAt = Date.parse(response.json().data.published_at);
    assert.ok(publishedAt >= before - 1000 && publishedAt <= Date.now() + 1000);
  });

  test('DELETE removes the article; a second DELETE is a 404', async () => {
    const article = await makeArticle(ctx);
    assert.equal(
      (await ctx.request({ method: 'DELETE', url: `/v1/articles/${article.id}` })).statusCode,
      204,
    );
    const again = await ctx.request({ method: 'DELETE', url: `/v1/articles/${article.id}` });
    assert.equal(again.statusCode, 404);
    assert.match(again.headers['content-type'] as string, PROBLEM_JSON);
  });
});

describe('articles: what the public sees', () => {
  test('drafts, archived and scheduled articles are invisible to public reads', async () => {
    const category = await makeCategory(ctx);
    const visible = await makeArticle(ctx, { category_id: category.id });
    const draft = await makeArticle(ctx, { category_id: category.id, status: 'draft' });
    const archived = await makeArticle(ctx, { category_id: category.id, status: 'archived' });
    const scheduled = await makeArticle(ctx, {
      category_id: category.id,
      published_at: '2999-01-01T00:00:00Z',
    });

    const list = await ctx.anonymous({ method: 'GET', url: `/v1/articles?category=${category.id}` });
    assert.deepEqual(
      list.json().data.map((a: { id: number }) => a.id),
      [visible.id],
    );
    for (const hidden of [draft, archived, scheduled]) {
      assert.equal(
        (await ctx.anonymous({ method: 'GET', url: `/v1/articles/${hidden.id}` })).statusCode,
        404,
      );
      assert.equal(
        (await get(`/v1/articles/${hidden.id}`)).statusCode,
        200,
        'a key with content:read sees it',
      );
    }
    const anonymousDrafts = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles?category=${category.id}&status=draft`,
    });
    assert.equal(anonymousDrafts.statusCode, 401);
    const drafts = await get(`/v1/articles?category=${category.id}&status=draft`);
    assert.deepEqual(
      drafts.json().data.map((a: { id: number }) => a.id),
      [draft.id],
    );
  });

  test('neighbors are the previous and next public article in the same category', async () => {
    const category = await makeCategory(ctx);
    const other = await makeCategory(ctx);
    const first = await makeArticle(ctx, {
      category_id: category.id,
      published_at: '2024-01-01T08:00:00+08:00',
    });
    const middle = await makeArticle(ctx, {
      category_id: category.id,
      published_at: '2024-01-02T08:00:00+08:00',
    });
    await makeArticle(ctx, { category_id: other.id, published_at: '2024-01-02T12:00:00+08:00' });
    await makeArticle(ctx, {
      category_id: category.id,
      published_at: '2024-01-02T18:00:00+08:00',
      status: 'draft',
    });
    const last = await makeArticle(ctx, {
      category_id: category.id,
      published_at: '2024-01-03T08:00:00+08:00',
    });

    const response = await get(`/v1/articles/${middle.slug}/neighbors`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().data.previous.id, first.id);
    assert.equal(response.json().data.next.id, last.id);
    const edge = await get(`/v1/articles/${first.id}/neighbors`);
    assert.equal(edge.json().data.previous, null);
    assert.equal(edge.json().data.next.id, middle.id);
  });
});

describe('articles: filters', () => {
  test('category includes descendants by default, and only the node with descendants=false', async () => {
    const root = await makeCategory(ctx);
    const child = await makeCategory(ctx, { parent_id: root.id });
    const grandchild = await makeCategory(ctx, { parent_id: child.id });
    const inRoot = await makeArticle(ctx, { category_id: root.id });
    const inGrandchild = await makeArticle(ctx, { category_id: grandchild.id });
    const ids = async (url: string) => (await get(url)).json().data.map((a: { id: number }) => a.id);
    assert.deepEqual(
      (await ids(`/v1/articles?category=${root.slug}`)).sort(),
      [inRoot.id, inGrandchild.id].sort(),
    );
    assert.deepEqual(await ids(`/v1/articles?category=${root.slug}&descendants=false`), [inRoot.id]);
    assert.deepEqual(await ids(`/v1/articles?category=${child.id}`), [inGrandchild.id]);
  });

  test('source (comma list), tag, lang and the published window filter together', async () => {
    const a = await makeSource(ctx);
    const b = await makeSource(ctx);
    const c = await makeSource(ctx);
    const tag = unique('标签');
    const fromA = await makeArticle(ctx, {
      source_id: a.id,
      tags: [tag],
      lang: 'zh-Hant',
      published_at: '2023-06-01T00:00:00Z',
    });
    const fromB = await makeArticle(ctx, {
      source_id: b.id,
      tags: [tag],
      lang: 'en',
      published_at: '2023-07-01T00:00:00Z',
    });
    await makeArticle(ctx, {
      source_id: c.id,
      tags: [tag],
      lang: 'en',
      published_at: '2023-08-01T00:00:00Z',
    });
    const ids = async (query: string) =>
      (await get(`/v1/articles?tag=${encodeURIComponent(tag)}&${query}`))
        .json()
        .data.map((x: { id: number }) => x.id);
    assert.deepEqual(await ids(`source=${a.slug},${b.id}`), [fromB.id, fromA.id]);
    assert.deepEqual(await ids('lang=zh-Hant'), [fromA.id]);
    assert.deepEqual(
      await ids('published_after=2023-06-15T00:00:00Z&published_before=2023-07-15T00:00:00Z'),
      [fromB.id],
    );
    const unknown = await get('/v1/articles?source=no-such-source');
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().errors[0].path, '/source');
  });
});

describe('articles: include and fields', () => {
  test('include embeds source, category and breadcrumbs; fields trims each item', async () => {
    const source = await makeSource(ctx, { name: 'IT之家' });
    const root = await makeCategory(ctx, { name: '新闻中心' });
    const leaf = await makeCategory(ctx, { name: '新闻动态', parent_id: root.id });
    const article = await makeArticle(ctx, { source_id: source.id, category_id: leaf.id });

    const full = await get(`/v1/articles/${article.id}?include=source,category,breadcrumbs`);
    assert.equal(full.json().data.source.name, 'IT之家');
    assert.equal(full.json().data.category.id, leaf.id);
    assert.deepEqual(
      full.json().data.breadcrumbs.map((b: { name: string }) => b.name),
      ['新闻中心', '新闻动态'],
    );

    const trimmed = await get(`/v1/articles?category=${leaf.id}&fields=title,published_at&include=source`);
    assert.deepEqual(Object.keys(trimmed.json().data[0]).sort(), ['id', 'published_at', 'source', 'title']);

    const bad = await get('/v1/articles?include=author');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().errors[0].path, '/include');
    const badField = await get('/v1/articles?fields=title,password');
    assert.equal(badField.statusCode, 400);
    assert.match(badField.json().detail, /password/);
  });

  test('a listing and an article read each include source and category in their one query', async () => {
    const tag = `joined-${unique()}`;
    const source = await makeSource(ctx, { name: '中關村在線' });
    const category = await makeCategory(ctx, { name: '科技' });
    const withBoth = await makeArticle(ctx, { tags: [tag], source_id: source.id, category_id: category.id });
    const withNeither = await makeArticle(ctx, { tags: [tag] });

    ctx.queries.length = 0;
    const listed = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles?tag=${tag}&include=category,source&fields=title`,
    });
    assert.equal(listed.statusCode, 200);
    assert.equal(ctx.queries.length, 1, ctx.queries.join('\n'));
    const byId = new Map(listed.json().data.map((item: { id: number }) => [item.id, item]));
    ctx.queries.length = 0;
    const read = (
      await ctx.anonymous({ method: 'GET', url: `/v1/articles/${withBoth.id}?include=source,category` })
    ).json().data;
    assert.equal(ctx.queries.length, 1, ctx.queries.join('\n'));
    assert.equal(read.category.name, '科技');
    assert.deepEqual(byId.get(withBoth.id), {
      id: withBoth.id,
      title: withBoth.title,
      source: read.source,
      category: read.category,
    });
    assert.equal(read.source.name, '中關村在線');
    assert.deepEqual(byId.get(withNeither.id), {
      id: withNeither.id,
      title: withNeither.title,
      source: null,
      category: null,
    });
  });

  test('include costs a fixed number of queries, whatever the number of articles', async () => {
    const category = await makeCategory(ctx);
    const countQueries = async () => {
      ctx.queries.length = 0;
      const response = await ctx.anonymous({
        method: 'GET',
        url: `/v1/articles?category=${category.id}&limit=100&include=source,category,breadcrumbs`,
      });
      assert.equal(response.statusCode, 200);
      return { count: ctx.queries.length, items: response.json().data.length };
    };
    for (let i = 0; i < 3; i++)
      await makeArticle(ctx, { category_id: category.id, source_id: (await makeSource(ctx)).id });
    const few = await countQueries();
    for (let i = 0; i < 12; i++)
      await makeArticle(ctx, { category_id: category.id, source_id: (await makeSource(ctx)).id });
    const many = await countQueries();
    assert.equal(few.items, 3);
    assert.equal(many.items, 15);
    assert.equal(many.count, few.count, 'the query count does not grow with the page');
    assert.ok(many.count <= 5, `expected at most 5 queries, ran ${many.count}`);
  });
});
