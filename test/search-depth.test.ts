import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { newArticleValues } from '../src/modules/articles/service.ts';
import { startTestApp, type TestContext } from './helpers.ts';

// Each relevance tier looks for its matches among the newest articles first and falls back to the
// search indexes when those hold too few. These matches are all older than the newest 1,000 articles
// (more than the second tier looks at first), so only the fallback can find them.
let ctx: TestContext;

async function insertCopies(prefix: string, count: number, fields: Parameters<typeof newArticleValues>[0]) {
  const values = newArticleValues(fields);
  await sql`
    insert into articles (slug, title, summary, body_html, body_text, lang, tags, status, published_at,
      search_vector, search_title, search_version)
    select ${prefix} || '-' || n, ${values.title}, ${values.summary}, ${values.body_html}, ${values.body_text},
      ${values.lang}, ${values.tags}, 'published', cast(${values.published_at} as timestamptz) - make_interval(mins => n),
      cast(${values.search_vector} as tsvector), cast(${values.search_title} as tsvector), ${values.search_version}
    from generate_series(1, ${count}) as n
  `.execute(ctx.database.db);
}

before(async () => {
  ctx = await startTestApp();
  await insertCopies('filler', 1100, {
    title: 'Market report',
    body_html: '<p>Prices moved little today.</p>',
    status: 'published',
    published_at: '2025-06-01T00:00:00Z',
  });
  await insertCopies('old-body', 25, {
    title: 'Archive note',
    body_html: '<p>A zebracorn was seen in the archive.</p>',
    status: 'published',
    published_at: '2020-01-01T00:00:00Z',
  });
  await insertCopies('old-title', 3, {
    title: 'Zebracorn spotted',
    body_html: '<p>Nothing else to report.</p>',
    status: 'published',
    published_at: '2019-01-01T00:00:00Z',
  });
});
after(() => ctx.close());

describe('search beyond the newest articles', () => {
  test('old title and body matches are found, in tier order and newest first, across pages', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await ctx.anonymous({
        method: 'GET',
        url: `/v1/articles?q=zebracorn&limit=10&fields=slug${cursor ? `&cursor=${cursor}` : ''}`,
      });
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      seen.push(...body.data.map((item: { slug: string }) => item.slug));
      cursor = body.meta.next_cursor;
    } while (cursor);
    const expected = [
      ...[1, 2, 3].map((n) => `old-title-${n}`),
      ...Array.from({ length: 25 }, (_, i) => `old-body-${i + 1}`),
    ];
    assert.deepEqual(seen, expected);
  });

  test('a search the database refuses is a 400 problem, not a 500 (the planner settings are not restored then)', async () => {
    const response = await ctx.anonymous({
      method: 'GET',
      url: '/v1/articles?q=zebracorn&published_before=0000-01-01T00%3A00%3A00Z',
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
  });
});
