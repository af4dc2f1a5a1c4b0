import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

interface FieldError {
  path: string;
  location?: string;
  message: string;
}

/** Sends the request and checks it is a problem+json with the given status; returns the problem. */
async function problem(options: InjectOptions, status: number) {
  const response = await ctx.request(options);
  assert.equal(response.statusCode, status, `${options.method} ${options.url}: ${response.body}`);
  assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
  const body = response.json();
  assert.equal(body.status, status);
  assert.match(body.type, /^urn:newsdesk:problem:[a-z-]+$/);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  return body as { type: string; detail: string; errors?: FieldError[] };
}

/** The problem names exactly this field first (and, when given, where it was). */
function assertNames(body: { errors?: FieldError[] }, path: string, location?: string) {
  assert.ok(body.errors && body.errors.length > 0, `expected errors naming ${path}`);
  assert.ok(
    body.errors.some((e) => e.path === path),
    `expected ${path} in ${JSON.stringify(body.errors)}`,
  );
  if (location) assert.equal(body.errors.find((e) => e.path === path)?.location, location);
}

const post = (payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/v1/articles',
  payload: payload as InjectOptions['payload'],
});

const articleCount = async () => {
  const row = await sql<{ n: number }>`select count(*)::int as n from articles`.execute(ctx.database.db);
  return row.rows[0]?.n ?? 0;
};

describe('routes and query parameters', () => {
  test('an unknown route is a 404 problem that names the route', async () => {
    const body = await problem({ method: 'GET', url: '/v1/nothing-here?x=1' }, 404);
    assert.equal(body.type, 'urn:newsdesk:problem:route-not-found');
    assert.match(body.detail, /GET \/v1\/nothing-here/);
    await problem({ method: 'DELETE', url: '/v1/categories/tree/extra' }, 404);
  });

  test('an unknown query parameter is a 400 naming it, in the query', async () => {
    const body = await problem({ method: 'GET', url: '/v1/articles?colour=red' }, 400);
    assert.equal(body.type, 'urn:newsdesk:problem:validation');
    assert.deepEqual(body.errors, [
      { path: '/colour', location: 'query', message: 'is not a known query parameter' },
    ]);
    assert.match(body.detail, /colour/);
  });

  test('a duplicated parameter and limits out of range are 400s naming /limit', async () => {
    for (const query of ['limit=1&limit=2', 'limit=0', 'limit=101', 'limit=ten', 'limit=1.5']) {
      const body = await problem({ method: 'GET', url: `/v1/articles?${query}` }, 400);
      assertNames(body, '/limit', 'query');
    }
    const ok = await ctx.request({ method: 'GET', url: '/v1/articles?limit=100' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().meta.limit, 100);
  });

  test('a malformed cursor and a genuine-looking cursor for another sort are 400s naming /cursor', async () => {
    await makeArticle(ctx);
    await makeArticle(ctx);
    const malformed = await problem({ method: 'GET', url: '/v1/articles?cursor=!!!' }, 400);
    assertNames(malformed, '/cursor', 'query');

    const notJson = Buffer.from('hello').toString('base64url');
    assertNames(await problem({ method: 'GET', url: `/v1/articles?cursor=${notJson}` }, 400), '/cursor');

    // A real cursor issued for sort=title, replayed against the default sort.
    const titlePage = await ctx.request({ method: 'GET', url: '/v1/articles?sort=title&limit=1' });
    const titleCursor = titlePage.json().meta.next_cursor;
    assert.equal(typeof titleCursor, 'string');
    const replayed = await problem({ method: 'GET', url: `/v1/articles?cursor=${titleCursor}` }, 400);
    assertNames(replayed, '/cursor', 'query');
    assert.match(replayed.errors?.[0]?.message ?? '', /sort=title/);

    // Hand-made, well-formed base64url for another sort.
    const forged = Buffer.from(JSON.stringify({ s: 'title', v: ['a', 1] })).toString('base64url');
    assertNames(await problem({ method: 'GET', url: `/v1/articles?cursor=${forged}` }, 400), '/cursor');

    // The right sort but a tampered key value is still refused, not a 500.
    const tampered = Buffer.from(JSON.stringify({ s: '-published_at', v: ["'; drop table articles;--", 1] }));
    assertNames(
      await problem({ method: 'GET', url: `/v1/articles?cursor=${tampered.toString('base64url')}` }, 400),
      '/cursor',
    );
  });
});

describe('date-times Postgres cannot keep as RFC 3339', () => {
  // RFC 3339 allows offsets to ±23:59; Postgres refuses more than ±15:59 (this was a 500), and an instant
  // before the year 1 or after 9999 comes back as `… BC` or a five-digit year (which broke feeds).
  const unstorable = [
    '2026-01-01T00:00:00+16:00',
    '2026-01-01T00:00:00-23:59',
    '0001-01-01T00:00:00+15:00',
    '9999-12-31T23:59:59-15:00',
  ];

  test('in a body, each is a 400 naming the field, and nothing is stored', async () => {
    const before = await articleCount();
    for (const published_at of unstorable) {
      const body = await problem(post({ title: unique('when'), body_html: '<p>x</p>', published_at }), 400);
      assertNames(body, '/published_at', 'body');
      assert.match(body.errors?.[0]?.message ?? '', /from the year 0001 to 9999 in UTC/);
    }
    assert.equal(await articleCount(), before);
  });

  test('in a filter, each is a 400 naming the parameter, for anonymous readers too', async () => {
    for (const value of unstorable) {
      const response = await ctx.anonymous({
        method: 'GET',
        url: `/v1/articles?published_after=${encodeURIComponent(value)}`,
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
      assertNames(response.json(), '/published_after', 'query');
    }
  });

  test('the extremes that Postgres does keep are accepted and served back in RFC 3339', async () => {
    for (const published_at of [
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2026-01-01T00:00:00+15:59',
    ]) {
      const response = await ctx.request(
        post({ title: unique('edge'), body_html: '<p>x</p>', published_at }),
      );
      assert.equal(response.statusCode, 201, response.body);
      assert.match(response.json().data.published_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });
});

describe('requests the HTTP parser refuses', () => {
  /** Sends raw bytes to a listening server and returns what comes back before it closes. */
  async function raw(request: string) {
    if (!ctx.app.server.listening) await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = ctx.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.end(request);
    let text = '';
    for await (const chunk of socket) text += chunk;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { statusLine: head.split('\r\n')[0], head: head.toLowerCase(), body };
  }

  test('headers too large, a malformed header line or Content-Length: problem+json, then closed', async () => {
    const cases: [string, string, string][] = [
      [`GET /v1/articles?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`, '431', 'headers-too-large'],
      ['GET /v1/articles HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n', '400', 'bad-request'],
      ['POST /v1/articles HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n', '400', 'bad-request'],
    ];
    for (const [request, status, code] of cases) {
      const response = await raw(request);
      assert.match(response.statusLine ?? '', new RegExp(`^HTTP/1\\.1 ${status} `), request.slice(0, 40));
      assert.match(response.head, /content-type: application\/problem\+json/);
      assert.match(response.head, /connection: close/);
      const problem = JSON.parse(response.body);
      assert.equal(problem.type, `urn:newsdesk:problem:${code}`);
      assert.equal(problem.status, Number(status));
      assert.equal(typeof problem.detail, 'string');
    }
  });
});

describe('NUL bytes', () => {
  test('a NUL in a body string is a 400 naming the field', async () => {
    const body = await problem(post({ title: 'bad\u0000title' }), 400);
    assert.deepEqual(body.errors, [
      { path: '/title', location: 'body', message: 'must not contain NUL (U+0000) characters' },
    ]);
  });

  test('a NUL in a nested string is a 400 naming its JSON pointer', async () => {
    const body = await problem(
      post({
        title: unique('nul'),
        cover_image: { url: 'https://img.ithome.com/a.jpg', caption: 'cap\u0000tion' },
      }),
      400,
    );
    assertNames(body, '/cover_image/caption', 'body');
    const inArray = await problem(post({ title: unique('nul'), tags: ['ok', 'b\u0000d'] }), 400);
    assertNames(inArray, '/tags/1', 'body');
  });

  test('a NUL in a query parameter or a path segment is a 400, never a 500', async () => {
    assertNames(await problem({ method: 'GET', url: '/v1/articles?tag=a%00b' }, 400), '/tag', 'query');
    assertNames(
      await problem({ method: 'GET', url: '/v1/categories?parent=x%00y' }, 400),
      '/parent',
      'query',
    );
    await problem({ method: 'GET', url: '/v1/articles/abc%00def' }, 400);
  });
});

describe('wrong types and values', () => {
  test('wrong JSON types are 400s naming the field, never silently coerced', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 123 }, '/title'],
      [{ title: unique('t'), tags: 'x' }, '/tags'],
      [{ title: unique('t'), tags: [1, 2] }, '/tags/0'],
      [{ title: unique('t'), category_id: '5' }, '/category_id'],
      [{ title: unique('t'), source_id: true }, '/source_id'],
      [{ title: unique('t'), published_at: '' }, '/published_at'],
      [{ title: ['a'] }, '/title'],
    ];
    const before = await articleCount();
    for (const [payload, path] of cases) assertNames(await problem(post(payload), 400), path, 'body');
    assert.equal(await articleCount(), before, 'nothing was stored');
  });

  test('an out-of-range integer is a 400; an in-range id that does not exist is a 422', async () => {
    for (const id of [99999999999, 0, -1, 1.5]) {
      assertNames(await problem(post({ title: unique('t'), category_id: id }), 400), '/category_id');
    }
    const missing = await problem(post({ title: unique('t'), category_id: 2147483000 }), 422);
    assert.equal(missing.type, 'urn:newsdesk:problem:unknown-reference');
    assert.equal(missing.errors?.[0]?.path, '/category_id');

    const missingSource = await problem(post({ title: unique('t'), source_id: 2147483000 }), 422);
    assert.equal(missingSource.errors?.[0]?.path, '/source_id');
  });

  test('an invalid timestamp is a 400 naming /published_at', async () => {
    for (const published_at of ['2023-13-45T99:00:00Z', 'yesterday', '2023-04-05', '2023-04-05T09:09:19']) {
      const body = await problem(post({ title: unique('t'), published_at }), 400);
      assertNames(body, '/published_at', 'body');
    }
    assertNames(
      await problem({ method: 'GET', url: '/v1/articles?published_after=yesterday' }, 400),
      '/published_after',
      'query',
    );
  });

  test('unknown body fields are 400s naming them', async () => {
    const body = await problem(post({ title: unique('t'), body_text: 'read-only', colour: 'red' }), 400);
    assertNames(body, '/body_text', 'body');
    assertNames(body, '/colour', 'body');
  });
});

describe('bodies', () => {
  test('a malformed JSON body is a 400 problem', async () => {
    for (const payload of ['{"title": "x"', '{title: "x"}', "{'title': 'x'}"]) {
      const body = await problem(
        { method: 'POST', url: '/v1/articles', payload, headers: { 'content-type': 'application/json' } },
        400,
      );
      assert.equal(body.type, 'urn:newsdesk:problem:malformed-body');
    }
  });

  test('a body over 1 MiB is a 413 problem', async () => {
    const payload = JSON.stringify({ title: unique('big'), body_html: 'x'.repeat(1024 * 1024 + 1) });
    const body = await problem(
      { method: 'POST', url: '/v1/articles', payload, headers: { 'content-type': 'application/json' } },
      413,
    );
    assert.equal(body.type, 'urn:newsdesk:problem:body-too-large');
  });

  test('a text/plain body is a 415 problem, even when it holds JSON', async () => {
    for (const payload of ['hello', JSON.stringify({ title: unique('plain') })]) {
      const body = await problem(
        { method: 'POST', url: '/v1/articles', payload, headers: { 'content-type': 'text/plain' } },
        415,
      );
      assert.equal(body.type, 'urn:newsdesk:problem:unsupported-media-type');
    }
    const source = await makeSource(ctx);
    await problem(
      {
        method: 'PATCH',
        url: `/v1/sources/${source.id}`,
        payload: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      415,
    );
  });

  test('a 600-character title is a 400; a 100,000-character body is stored whole', async () => {
    assertNames(await problem(post({ title: 'x'.repeat(600) }), 400), '/title', 'body');

    const paragraph = `<p>${'谷'.repeat(99_993)}</p>`;
    assert.equal(paragraph.length, 100_000);
    const created = await makeArticle(ctx, { title: unique('long'), body_html: paragraph });
    assert.equal(created.body_html, paragraph);
    const fetched = await ctx.request({ method: 'GET', url: `/v1/articles/${created.id}` });
    assert.equal(fetched.json().data.body_html.length, paragraph.length);
    assert.equal(fetched.json().data.body_text, '谷'.repeat(99_993));
  });
});

describe('injection and concurrency', () => {
  test('SQL in path segments and query parameters is just text: 404 or empty 200, never 500', async () => {
    const category = await makeCategory(ctx);
    await makeArticle(ctx, { category_id: category.id, tags: ['safe'] });
    const before = await articleCount();
    assert.ok(before > 0);

    for (const url of [
      "/v1/articles/1'%20OR%201=1--",
      "/v1/articles/x';%20DROP%20TABLE%20articles;--",
      "/v1/categories/1'%20OR%20'1'='1/breadcrumbs",
      '/v1/sources/%22%3B%20DELETE%20FROM%20sources%3B--',
    ]) {
      const body = await problem({ method: 'GET', url }, 404);
      assert.equal(body.type, 'urn:newsdesk:problem:not-found');
    }

    for (const query of [
      "tag=' OR 1=1--",
      "tag=safe' OR 'a'='a",
      "lang=zh-Hans' OR '1'='1",
      'tag=%25',
      "tag=');DELETE FROM articles;--",
    ]) {
      const response = await ctx.request({ method: 'GET', url: `/v1/articles?${query}` });
      assert.equal(response.statusCode, 200, `${query}: ${response.body}`);
      assert.deepEqual(response.json().data, [], query);
    }

    // Filters that must resolve to a row answer 400 naming the parameter, not 500.
    assertNames(
      await problem({ method: 'GET', url: "/v1/articles?category=' OR 1=1--" }, 400),
      '/category',
      'query',
    );
    assertNames(await problem({ method: 'GET', url: "/v1/articles?source=1' OR 1=1--" }, 400), '/source');

    assert.equal(await articleCount(), before, 'the articles table still has its rows');
    const listed = await ctx.request({ method: 'GET', url: '/v1/articles?tag=safe' });
    assert.equal(listed.json().data.length, 1);
  });

  test('two concurrent creates with the same explicit slug: one 201, one 409, never 500', async () => {
    const slug = unique('race');
    const [a, b] = await Promise.all([
      ctx.request(post({ title: 'first', slug })),
      ctx.request(post({ title: 'second', slug })),
    ]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [201, 409]);
    const conflict = a.statusCode === 409 ? a : b;
    assert.match(conflict.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(conflict.json().errors[0].path, '/slug');
    const stored = await sql<{
      n: number;
    }>`select count(*)::int as n from articles where slug = ${slug}`.execute(ctx.database.db);
    assert.equal(stored.rows[0]?.n, 1);
  });
});

describe('text round trips', () => {
  test('emoji, 4-byte characters and right-to-left text come back unchanged', async () => {
    const titles = [
      `🚀📰 谷歌 TPU 👩🏽‍💻 ${unique()}`,
      `𠜎𠜱𠝹𠱓 汉字扩展B ${unique()}`,
      `مرحبا بالعالم ${unique()}`,
      `שלום עולם: TPU v4 בגוגל ${unique()}`,
    ];
    for (const title of titles) {
      const created = await makeArticle(ctx, { title, tags: ['🚀', 'عربي'], author: '𠜎 故渊' });
      assert.equal(created.title, title);
      const fetched = await ctx.request({ method: 'GET', url: `/v1/articles/${created.id}` });
      assert.equal(fetched.statusCode, 200);
      assert.equal(fetched.json().data.title, title);
      assert.deepEqual(fetched.json().data.tags, ['🚀', 'عربي']);
      assert.equal(fetched.json().data.author, '𠜎 故渊');
      const bySlug = await ctx.request({
        method: 'GET',
        url: `/v1/articles/${encodeURIComponent(created.slug)}`,
      });
      assert.equal(bySlug.statusCode, 200, `slug ${created.slug}`);
      assert.equal(bySlug.json().data.id, created.id);
    }
  });
});
