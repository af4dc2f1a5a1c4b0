import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeCursor } from '../src/http/cursor.ts';
import { makeArticle, makeCategory } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
let category: { id: number; slug: string };
const made: { id: number; published_at: string; title: string }[] = [];

before(async () => {
  ctx = await startTestApp({ PUBLIC_BASE_URL: 'https://news.example.com' });
  category = await makeCategory(ctx);
  // 25 articles, many sharing a published_at to the microsecond: paging must neither skip nor repeat them.
  const times = ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.123456Z', '2024-05-02T00:00:00Z'];
  for (let i = 0; i < 25; i++) {
    made.push(
      await makeArticle(ctx, {
        category_id: category.id,
        title: `第${String(i).padStart(2, '0')}篇`,
        published_at: times[i % times.length],
      }),
    );
  }
});
after(() => ctx.close());

async function walk(query: string, limit: number) {
  const ids: number[] = [];
  let url: string | undefined = `/v1/articles?category=${category.id}&limit=${limit}${query}`;
  let pages = 0;
  while (url && pages < 100) {
    const response = await ctx.request({ method: 'GET', url });
    assert.equal(response.statusCode, 200, response.body);
    ids.push(...response.json().data.map((a: { id: number }) => a.id));
    const link = response.headers.link as string | undefined;
    const next = response.json().meta.next_cursor;
    if (next) {
      assert.ok(link?.startsWith('<https://news.example.com/v1/articles?'), `Link header: ${link}`);
      assert.ok(link?.endsWith('>; rel="next"'));
      url = link?.slice('<https://news.example.com'.length, link.indexOf('>'));
    } else {
      assert.equal(link, undefined, 'no Link on the last page');
      url = undefined;
    }
    pages++;
  }
  return { ids, pages };
}

describe('cursor paging', () => {
  test('latest first: every article exactly once, in (published_at desc, id desc) order', async () => {
    const { ids, pages } = await walk('', 4);
    const micros = (t: string) =>
      Date.parse(t) * 1000 + Number((t.match(/\.(\d+)/)?.[1] ?? '').padEnd(6, '0').slice(3));
    const expected = [...made]
      .sort((a, b) => micros(b.published_at) - micros(a.published_at) || b.id - a.id)
      .map((a) => a.id);
    assert.equal(pages, 7);
    assert.deepEqual(ids, expected);
  });

  test('every sort pages without loss or repetition', async () => {
    for (const sort of ['published_at', '-updated_at', 'title']) {
      const { ids } = await walk(`&sort=${sort}`, 3);
      assert.equal(ids.length, 25, `sort=${sort}`);
      assert.equal(new Set(ids).size, 25, `sort=${sort} repeats nothing`);
    }
    const byTitle = await walk('&sort=title', 7);
    assert.deepEqual(
      byTitle.ids,
      [...made].sort((a, b) => (a.title < b.title ? -1 : 1)).map((a) => a.id),
    );
  });

  test('page numbers give the same pages as cursors', async () => {
    const byCursor = await walk('', 10);
    const byPage: number[] = [];
    for (let page = 1; page <= 3; page++) {
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/articles?category=${category.id}&limit=10&page=${page}`,
      });
      assert.equal(response.json().meta.page, page);
      byPage.push(...response.json().data.map((a: { id: number }) => a.id));
      if (page < 3) assert.match(response.headers.link as string, new RegExp(`page=${page + 1}`));
    }
    assert.deepEqual(byPage, byCursor.ids);
  });

  test('total=exact counts, total=estimate says it is an estimate, none is the default', async () => {
    const exact = await ctx.request({
      method: 'GET',
      url: `/v1/articles?category=${category.id}&total=exact`,
    });
    assert.equal(exact.json().meta.total, 25);
    assert.equal(exact.json().meta.total_is_estimate, false);
    const estimate = await ctx.request({
      method: 'GET',
      url: `/v1/articles?category=${category.id}&total=estimate`,
    });
    assert.equal(estimate.json().meta.total_is_estimate, true);
    assert.ok(Number.isInteger(estimate.json().meta.total));
    const none = await ctx.request({ method: 'GET', url: `/v1/articles?category=${category.id}` });
    assert.equal(none.json().meta.total, undefined);
  });

  test('malformed, tampered and foreign cursors are 400 problems naming cursor', async () => {
    const bad = [
      'not-a-cursor!',
      Buffer.from('{"s":"-published_at","v":["2024-01-01T00:00:00Z"]}').toString('base64url'),
      encodeCursor('-published_at', ["2024-01-01'; drop table articles; --", 5]),
      encodeCursor('-published_at', ['2024-01-01T00:00:00Z', 1e20]),
      encodeCursor('title', ['x', 1]),
    ];
    for (const cursor of bad) {
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/articles?cursor=${encodeURIComponent(cursor)}`,
      });
      assert.equal(response.statusCode, 400, cursor);
      assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
      assert.equal(response.json().errors[0].path, '/cursor');
    }
    const both = await ctx.request({
      method: 'GET',
      url: `/v1/articles?page=2&cursor=${encodeCursor('-published_at', ['2024-01-01T00:00:00Z', 1])}`,
    });
    assert.equal(both.statusCode, 400);
    // Well-formed, but holding a value the sort key's column cannot hold: an offset over ±15:59 (a 500
    // before), a date that does not exist, an instant before the year 1, a position over int4.
    const forged = [
      encodeCursor('-published_at', ['2026-02-01T00:00:00+99:99', 5]),
      encodeCursor('-published_at', ['2026-02-01T00:00:00+16:00', 5]),
      encodeCursor('-published_at', ['2026-02-30T00:00:00Z', 5]),
      encodeCursor('-published_at', ['0001-01-01T00:00:00+15:00', 5]),
    ];
    for (const cursor of forged) {
      const response = await ctx.anonymous({ method: 'GET', url: `/v1/articles?cursor=${cursor}` });
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().errors[0].message, 'is not a cursor this API issued');
    }
    const hugePosition = await ctx.request({
      method: 'GET',
      url: `/v1/categories?cursor=${encodeCursor('position', [2 ** 40, 1])}`,
    });
    assert.equal(hugePosition.statusCode, 400, hugePosition.body);
    assert.equal(hugePosition.json().errors[0].message, 'is not a cursor this API issued');
  });
});

describe('listing sources and categories', () => {
  test('categories page with cursors in position order', async () => {
    const parent = await makeCategory(ctx);
    for (let i = 0; i < 5; i++) await makeCategory(ctx, { parent_id: parent.id });
    const first = await ctx.request({ method: 'GET', url: `/v1/categories?parent=${parent.slug}&limit=3` });
    const cursor = first.json().meta.next_cursor;
    assert.ok(cursor);
    const second = await ctx.request({
      method: 'GET',
      url: `/v1/categories?parent=${parent.slug}&limit=3&cursor=${cursor}`,
    });
    const positions = [...first.json().data, ...second.json().data].map(
      (c: { position: number }) => c.position,
    );
    assert.deepEqual(positions, [0, 1, 2, 3, 4]);
    assert.equal(second.json().meta.next_cursor, undefined);
  });
});
