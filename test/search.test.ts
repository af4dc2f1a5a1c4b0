import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { reindexArticles } from '../src/modules/search/reindex.ts';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
let category: { id: number };
const a: Record<string, { id: number; slug: string }> = {};

before(async () => {
  ctx = await startTestApp();
  category = await makeCategory(ctx);
  const put = async (key: string, fields: Record<string, unknown>) => {
    a[key] = await makeArticle(ctx, { category_id: category.id, ...fields });
  };
  await put('simplifiedTitle', {
    title: '谷歌公布 TPU v4 超级计算机细节',
    body_html: '<p>谷歌周二公布了新细节。</p>',
    published_at: '2023-04-05T09:09:19+08:00',
  });
  await put('traditionalBody', {
    title: '南部算力中心啟用',
    body_html: '<p>新一代超級計算機將協助人工智慧研發。</p>',
    lang: 'zh-Hant',
    published_at: '2024-01-10T10:00:00+08:00',
  });
  await put('splitWords', {
    title: '超级市场引入收银机器人',
    body_html: '<p>这家超级市场的计算机系统全面升级，但这不是一台超级的计算机。</p>',
    published_at: '2024-02-01T08:00:00+08:00',
  });
  await put('english', {
    title: 'Google details its TPU supercomputer',
    body_html: '<p>The Tensor Processing Unit pods train large models.</p>',
    lang: 'en',
    published_at: '2023-04-06T00:00:00Z',
  });
  await put('englishBodyOnly', {
    title: 'Data centre power demand keeps rising',
    body_html:
      '<p>Operators cite accelerators such as the TPU and GPUs, plus &lt;script&gt; tags in old dashboards.</p>',
    lang: 'en',
    published_at: '2025-01-01T00:00:00Z',
  });
  await put('draft', { title: '超级计算机 草稿', status: 'draft', published_at: null });
});
after(() => ctx.close());

function id(key: string): number {
  const article = a[key];
  if (!article) throw new Error(`no fixture ${key}`);
  return article.id;
}

const search = async (query: string) => {
  const response = await ctx.request({
    method: 'GET',
    url: `/v1/articles?category=${category.id}&${query}`,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as {
    data: { id: number; highlight?: string; title?: string }[];
    meta: Record<string, unknown>;
  };
};
const ids = async (q: string, extra = '') =>
  (await search(`q=${encodeURIComponent(q)}${extra}`)).data.map((item) => item.id);

describe('search: Chinese without word boundaries', () => {
  test('the whole word, a part of it and one character find it, in simplified and traditional alike', async () => {
    for (const q of ['超级计算机', '超級計算機', '计算', '計算', '算']) {
      const found = await ids(q);
      assert.ok(found.includes(id('simplifiedTitle')), `${q} finds the simplified article`);
      assert.ok(found.includes(id('traditionalBody')), `${q} finds the traditional article`);
    }
  });

  test('characters that only appear apart do not match the word', async () => {
    const found = await ids('超级计算机');
    assert.ok(!found.includes(id('splitWords')), '超级…计算机 apart is not 超级计算机');
    assert.ok((await ids('超级市场')).includes(id('splitWords')));
  });

  test('drafts are never found by the public', async () => {
    assert.ok(!(await ids('草稿')).includes(id('draft')));
  });
});

describe('search: English and mixed', () => {
  test('case-insensitive and word-based; several words are AND-ed', async () => {
    assert.deepEqual(
      (await ids('tpu')).sort(),
      [id('simplifiedTitle'), id('english'), id('englishBodyOnly')].sort(),
    );
    assert.deepEqual(await ids('TPU supercomputer'), [id('english')]);
    assert.deepEqual(await ids('tp'), [], 'word-based: a fragment of a word is not the word');
  });

  test('quoted words match only as a phrase', async () => {
    assert.deepEqual(await ids('"tensor processing unit"'), [id('english')]);
    assert.deepEqual(await ids('"unit processing"'), []);
  });

  test('mixed Chinese and English queries work', async () => {
    assert.deepEqual(await ids('谷歌 TPU'), [id('simplifiedTitle')]);
  });

  test('a query with nothing to search for is a 400 naming q', async () => {
    const response = await ctx.request({ method: 'GET', url: '/v1/articles?q=%21%21%21' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().errors[0].path, '/q');
  });
});

describe('search: ranking and highlights', () => {
  test('a title match ranks above a body-only match even when the body match is newer', async () => {
    const found = await ids('tpu');
    assert.ok(found.indexOf(id('english')) < found.indexOf(id('englishBodyOnly')));
    assert.ok(found.indexOf(id('simplifiedTitle')) < found.indexOf(id('englishBodyOnly')));
    const byDate = await ids('tpu', '&sort=-published_at');
    assert.equal(byDate[0], id('englishBodyOnly'), 'sort=-published_at still allowed');
  });

  test('highlights mark the matched terms in the best field and escape everything else', async () => {
    const result = await search(`q=${encodeURIComponent('超級計算機')}`);
    const titleHit = result.data.find((item) => item.id === id('simplifiedTitle'));
    assert.equal(titleHit?.highlight, '谷歌公布 TPU v4 <mark>超级计算机</mark>细节');
    const bodyHit = result.data.find((item) => item.id === id('traditionalBody'));
    assert.match(bodyHit?.highlight ?? '', /<mark>超級計算機<\/mark>/);

    const escaped = await search('q=dashboards');
    assert.match(escaped.data[0]?.highlight ?? '', /&lt;script&gt; tags in old <mark>dashboards<\/mark>/);
    assert.doesNotMatch(escaped.data[0]?.highlight ?? '', /<script>/);
  });
});

describe('search: combined with the rest of the listing', () => {
  test('q works with filters, include, fields, total and cursor paging in relevance order', async () => {
    const source = await makeSource(ctx);
    const tagged = await makeCategory(ctx);
    const made: number[] = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        (
          await makeArticle(ctx, {
            category_id: tagged.id,
            source_id: source.id,
            title: i % 2 ? `芯片新闻 ${i}` : `行业动态 ${i}`,
            body_html: '<p>国产芯片产能持续提升。</p>',
            published_at: `2024-03-0${i + 1}T08:00:00+08:00`,
          })
        ).id,
      );
    }
    const seen: number[] = [];
    let url = `/v1/articles?q=${encodeURIComponent('芯片')}&category=${tagged.id}&source=${source.id}&include=source&fields=id,title&limit=3&total=exact`;
    for (let page = 0; page < 10 && url; page++) {
      const response = await ctx.request({ method: 'GET', url });
      const body = response.json();
      assert.equal(body.meta.total, 7);
      for (const item of body.data) {
        assert.deepEqual(Object.keys(item).sort(), ['highlight', 'id', 'source', 'title']);
        seen.push(item.id);
      }
      url = body.meta.next_cursor
        ? `${url.replace(/&cursor=[^&]*/, '')}&cursor=${body.meta.next_cursor}`
        : '';
    }
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
    const titleHits = made.filter((_, i) => i % 2 === 1);
    assert.deepEqual(seen.slice(0, titleHits.length).sort(), titleHits.sort(), 'title hits come first');
    for (const pageNumber of [2, 3]) {
      const byNumber = await ctx.request({
        method: 'GET',
        url: `/v1/articles?q=${encodeURIComponent('芯片')}&category=${tagged.id}&limit=3&page=${pageNumber}`,
      });
      assert.deepEqual(
        byNumber.json().data.map((item: { id: number }) => item.id),
        seen.slice((pageNumber - 1) * 3, pageNumber * 3),
        `page=${pageNumber} matches the cursor walk, across the two relevance tiers`,
      );
    }
  });
});

describe('search: the index', () => {
  test('is updated in the same write as the article, and forgets deleted articles', async () => {
    const article = await makeArticle(ctx, { category_id: category.id, title: '量子通信试验网开通' });
    assert.deepEqual(await ids('量子通信'), [article.id]);
    await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${article.id}`,
      payload: { title: '卫星导航试验网开通' },
    });
    assert.deepEqual(await ids('量子通信'), []);
    assert.deepEqual(await ids('卫星导航'), [article.id]);
    await ctx.request({ method: 'DELETE', url: `/v1/articles/${article.id}` });
    assert.deepEqual(await ids('卫星导航'), []);
  });

  test('the query plan uses the GIN index', async () => {
    const plan = await ctx.database.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        explain select id from articles where search_vector @@ cast(${"('超级' <-> '级计' <-> '计算' <-> '算机')"} as tsquery)
      `.execute(trx);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /articles_search_idx/);
  });

  test('reindexing rebuilds vectors from an older tokeniser without counting as an edit', async () => {
    const article = await makeArticle(ctx, { category_id: category.id, title: '稀土永磁材料出口增长' });
    await sql`update articles set search_vector = null, search_title = null, search_version = 0 where id = ${article.id}`.execute(
      ctx.database.db,
    );
    assert.deepEqual(await ids('稀土'), []);
    const reindexed = await reindexArticles(ctx.database.db);
    assert.ok(reindexed >= 1);
    assert.deepEqual(await ids('稀土'), [article.id]);
    const after = await ctx.request({ method: 'GET', url: `/v1/articles/${article.id}` });
    assert.equal(after.json().data.revision, 1);
  });
});
