import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockDataDir } from '../src/db/data-dir-lock.ts';
import { exportRecords } from '../src/modules/transfer/export.ts';
import {
  ImportFileError,
  type ImportSummary,
  importLines,
  readLines,
} from '../src/modules/transfer/import.ts';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { freshServerDatabase, serverUrl, startTestApp, type TestContext, unique } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'newsdesk-transfer-'));

let origin: TestContext;
let copy: TestContext;
/** Slugs of the origin's content, by role. */
const slugs: Record<string, string> = {};
let exported: string[];

async function exportLines(ctx: TestContext): Promise<string[]> {
  const lines: string[] = [];
  for await (const record of exportRecords(ctx.database.db, { batchSize: 2 }))
    lines.push(JSON.stringify(record));
  return lines;
}

async function importInto(ctx: TestContext, lines: string[]) {
  const problems: { line: number; message: string }[] = [];
  async function* feed() {
    yield* lines;
  }
  const summary = await importLines(ctx.database.db, feed(), {
    batchSize: 3,
    onProblem: (line, message) => problems.push({ line, message }),
  });
  return { summary, problems: problems.sort((a, b) => a.line - b.line) };
}

const counts = (summary: ImportSummary) =>
  Object.fromEntries(
    Object.entries(summary.counts).map(([type, c]) => [type, [c.created, c.updated, c.failed]]),
  );

/** What the API says about everything, without the ids (which are not portable; slugs are). */
async function snapshot(ctx: TestContext) {
  const get = async (url: string) => {
    const response = await ctx.request({ method: 'GET', url });
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    return response.json().data;
  };
  const withoutIds = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withoutIds);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'id' && !key.endsWith('_id'))
        .map(([key, inner]) => [key, withoutIds(inner)]),
    );
  };
  const bySlug = (items: { slug: string }[]) => [...items].sort((a, b) => (a.slug < b.slug ? -1 : 1));
  const articles: Record<string, unknown> = {};
  for (const status of ['published', 'draft', 'archived', 'trashed']) {
    articles[status] = bySlug(
      await get(`/v1/articles?status=${status}&limit=100&include=source,category,breadcrumbs`),
    );
  }
  const search = (await get(`/v1/articles?q=${encodeURIComponent('超级计算机')}&fields=slug`)).map(
    (a: { slug: string }) => a.slug,
  );
  return withoutIds({
    sources: bySlug(await get('/v1/sources?limit=100')),
    categories: bySlug(await get('/v1/categories?limit=100')),
    tree: await get('/v1/categories/tree'),
    articles,
    article: await get(`/v1/articles/${encodeURIComponent(slugs.chinese as string)}?include=breadcrumbs`),
    public: bySlug((await ctx.anonymous({ method: 'GET', url: '/v1/articles?limit=100' })).json().data),
    search: search.sort(),
  }) as Record<string, unknown>;
}

before(async () => {
  origin = await startTestApp();
  copy = await startTestApp();

  const ithome = await makeSource(origin, {
    slug: unique('ithome'),
    name: 'IT之家',
    description: 'IT之家，青岛软媒旗下的科技门户网站。\n第二行',
  });
  const reuters = await makeSource(origin, { slug: unique('reuters'), name: 'Reuters', homepage_url: null });
  const home = await makeCategory(origin, { slug: unique('首页'), name: '首页' });
  const news = await makeCategory(origin, { slug: unique('新闻中心'), name: '新闻中心', parent_id: home.id });
  // Created before its parent, then moved under it: ids alone would list the child first.
  const updates = await makeCategory(origin, { slug: unique('新闻动态'), name: '新闻动态', position: 7 });
  const later = await makeCategory(origin, { slug: unique('公司'), name: '公司', parent_id: news.id });
  const moved = await origin.request({
    method: 'PATCH',
    url: `/v1/categories/${updates.id}`,
    payload: { parent_id: later.id, description: '公司最新动态' },
  });
  assert.equal(moved.statusCode, 200, moved.body);
  const world = await makeCategory(origin, { slug: unique('world'), name: 'World', position: -3 });

  const chinese = await makeArticle(origin, {
    slug: unique('谷歌-tpu-v4'),
    title: '谷歌公布 TPU v4 超级计算机细节',
    body_html:
      '<p>谷歌公布了其用于训练人工智能模型的<strong>超级计算机</strong>的新细节。</p><p><a href="https://www.ithome.com/">来源</a> &amp; 更多</p>',
    tags: ['谷歌', 'TPU'],
    author: '故渊',
    cover_image: {
      url: 'https://img.ithome.com/cover.jpg',
      alt: '谷歌 TPU v4 机柜',
      caption: '谷歌数据中心',
      credit: '图片来自网络',
    },
    source_id: ithome.id,
    source_url: 'https://www.ithome.com/0/684/123.htm',
    category_id: updates.id,
  });
  const traditional = await makeArticle(origin, {
    slug: unique('超級計算機'),
    title: '超級計算機的新進展',
    lang: 'zh-Hant',
    body_html: '<p>繁體中文的文章。</p>',
    category_id: news.id,
  });
  const english = await makeArticle(origin, {
    slug: unique('markets'),
    title: 'Markets rally on chip news',
    lang: 'en',
    status: 'draft',
    published_at: null,
    summary: 'A hand-written summary.',
    body_html:
      '<p>Chips <em>up</em>.<script>alert(1)</script><span style="display:none">spam</span></p><img src="https://e.com/a.png" alt="chart">',
    tags: ['markets', 'chips'],
    source_id: reuters.id,
    category_id: world.id,
  });
  const archived = await makeArticle(origin, {
    slug: unique('archived'),
    status: 'archived',
    category_id: home.id,
  });
  const scheduled = await makeArticle(origin, {
    slug: unique('scheduled'),
    published_at: '2099-01-01T08:00:00+08:00',
    source_id: ithome.id,
  });
  const trashed = await makeArticle(origin, {
    slug: unique('trashed'),
    title: '已删除的文章',
    tags: ['回收站'],
  });
  assert.equal(
    (await origin.request({ method: 'DELETE', url: `/v1/articles/${trashed.id}` })).statusCode,
    204,
  );
  const edited = await origin.request({
    method: 'PATCH',
    url: `/v1/articles/${english.id}`,
    payload: { title: 'Markets rally on chip news (updated)' },
  });
  assert.equal(edited.statusCode, 200, edited.body);
  Object.assign(slugs, {
    chinese: chinese.slug,
    traditional: traditional.slug,
    english: english.slug,
    archived: archived.slug,
    scheduled: scheduled.slug,
    trashed: trashed.slug,
  });
  exported = await exportLines(origin);
});

after(async () => {
  await origin?.close();
  await copy?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('export', () => {
  test('a header with counts, then sources, categories (parents first) and articles, named by slug', () => {
    const records = exported.map((line) => JSON.parse(line));
    const [header] = records;
    assert.equal(header.type, 'newsdesk-export');
    assert.equal(header.version, 1);
    assert.deepEqual(header.counts, { source: 2, category: 5, article: 6 });
    const types = records.slice(1).map((r) => r.type);
    assert.deepEqual(types, [
      ...Array(2).fill('source'),
      ...Array(5).fill('category'),
      ...Array(6).fill('article'),
    ]);

    const seen = new Set<string>();
    for (const category of records.filter((r) => r.type === 'category')) {
      if (category.parent_slug !== null)
        assert.ok(seen.has(category.parent_slug), `${category.slug} before its parent`);
      seen.add(category.slug);
    }
    const article = records.find((r) => r.slug === slugs.chinese);
    assert.equal(article.source_slug, records[1].slug);
    assert.match(article.category_slug, /^新闻动态/);
    assert.deepEqual(article.tags, ['谷歌', 'TPU']);
    assert.equal(article.deleted_at, null);
    for (const key of ['id', 'source_id', 'category_id', 'body_text', 'search_vector', 'search_title'])
      assert.equal(key in article, false, `${key} is not exported`);
    assert.ok(records.find((r) => r.slug === slugs.trashed).deleted_at, 'the trash is exported');
    assert.equal(records.find((r) => r.slug === slugs.english).revision, 2);
  });
});

describe('import', () => {
  test('into a fresh database, the API answers exactly as before (ids aside); search works', async () => {
    const { summary, problems } = await importInto(copy, exported);
    assert.deepEqual(problems, []);
    assert.deepEqual(counts(summary), { source: [2, 0, 0], category: [5, 0, 0], article: [6, 0, 0] });

    const before = await snapshot(origin);
    const after = await snapshot(copy);
    for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], `${key} differ`);
    assert.deepEqual(
      after.search,
      [slugs.chinese, slugs.traditional].sort(),
      'search vectors are rebuilt (simplified and traditional)',
    );
    const english = (before.articles as Record<string, { slug: string; revision: number }[]>).draft?.find(
      (a) => a.slug === slugs.english,
    );
    assert.equal(english?.revision, 2, 'revision numbers are kept');
    assert.doesNotMatch(JSON.stringify(before.articles), /<script|spam/);

    const revisions = await copy.request({ method: 'GET', url: `/v1/articles/${slugs.english}/revisions` });
    assert.deepEqual(revisions.json().data, [], 'revisions are not exported');
  });

  test('running it again changes nothing: every record is reported as updated', async () => {
    const before = await snapshot(copy);
    const { summary, problems } = await importInto(copy, exported);
    assert.deepEqual(problems, []);
    assert.deepEqual(counts(summary), { source: [0, 2, 0], category: [0, 5, 0], article: [0, 6, 0] });
    assert.deepEqual(await snapshot(copy), before);
  });

  test('an import over an edited article puts the file back and keeps the edit as a revision', async () => {
    const url = `/v1/articles/${encodeURIComponent(slugs.chinese as string)}`;
    const patched = await copy.request({ method: 'PATCH', url, payload: { title: '本地修改过的标题' } });
    assert.equal(patched.statusCode, 200);
    const { summary } = await importInto(copy, exported);
    assert.deepEqual(summary.counts.article, { created: 0, updated: 6, failed: 0 });
    const article = (await copy.request({ method: 'GET', url })).json().data;
    assert.equal(article.title, '谷歌公布 TPU v4 超级计算机细节');
    assert.equal(article.revision, patched.json().data.revision + 1);
    const revisions = (await copy.request({ method: 'GET', url: `${url}/revisions` })).json().data;
    assert.deepEqual(
      revisions.map((r: { revision: number }) => r.revision),
      [patched.json().data.revision, patched.json().data.revision - 1],
    );
  });

  test('bad lines are reported by number and skipped; the good ones are imported', async () => {
    const target = await startTestApp();
    try {
      const s = unique('src');
      const [a, b] = [unique('cat-a'), unique('cat-b')];
      const good = unique('good');
      const self = unique('self');
      const lines = [
        JSON.stringify({ type: 'newsdesk-export', version: 1 }),
        JSON.stringify({ type: 'source', slug: s, name: '新华社' }),
        '{"type":"article","slug":"broken","title":"没有结尾',
        JSON.stringify({ type: 'article', slug: unique('nul'), title: 'NUL \u0000 inside' }),
        JSON.stringify({
          type: 'article',
          slug: unique('orphan'),
          title: '孤儿',
          category_slug: 'no-such-category',
        }),
        JSON.stringify({ type: 'article', slug: unique('typed'), title: 42 }),
        JSON.stringify({ type: 'widget', slug: 'x' }),
        JSON.stringify({
          type: 'category',
          slug: unique('lost'),
          name: '迷路',
          parent_slug: 'no-such-parent',
        }),
        JSON.stringify({ type: 'category', slug: a, name: 'A' }),
        JSON.stringify({ type: 'category', slug: b, name: 'B', parent_slug: a }),
        JSON.stringify({ type: 'category', slug: a, name: 'A', parent_slug: b }),
        JSON.stringify({ type: 'category', slug: self, name: '自己', parent_slug: self }),
        JSON.stringify({
          type: 'article',
          slug: good,
          title: '好的文章',
          source_slug: s,
          category_slug: b,
          tags: ['好'],
        }),
        JSON.stringify({
          type: 'article',
          slug: unique('tags'),
          title: '标签太多',
          tags: Array.from({ length: 31 }, (_, i) => `t${i}`),
        }),
        '[1, 2]',
        '',
        JSON.stringify({
          type: 'article',
          slug: unique('unknown-source'),
          title: '无来源',
          source_slug: 'nobody',
        }),
      ];
      const { summary, problems } = await importInto(target, lines);
      assert.deepEqual(
        problems.map((p) => p.line),
        [3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17],
      );
      const message = (line: number) => problems.find((p) => p.line === line)?.message ?? '';
      assert.match(message(3), /not valid JSON/);
      assert.match(message(4), /'title' must not contain NUL/);
      assert.match(message(5), /unknown category 'no-such-category'/);
      assert.match(message(6), /field 'title' must be string/);
      assert.match(message(7), /unknown record type "widget"/);
      assert.match(message(8), /unknown parent category 'no-such-parent'/);
      assert.match(message(11), /cycle/);
      assert.match(message(12), /own parent/);
      assert.match(message(14), /field 'tags' must NOT have more than 30 items/);
      assert.match(message(15), /not a JSON object/);
      assert.match(message(17), /unknown source 'nobody'/);
      assert.deepEqual(counts(summary), { source: [1, 0, 0], category: [2, 0, 3], article: [1, 0, 5] });
      assert.equal(summary.unreadable, 3);

      const article = await target.request({
        method: 'GET',
        url: `/v1/articles/${good}?include=source,breadcrumbs`,
      });
      assert.equal(article.statusCode, 200);
      assert.equal(article.json().data.source.slug, s);
      assert.deepEqual(
        article.json().data.breadcrumbs.map((c: { slug: string }) => c.slug),
        [a, b],
        'the cycle was refused: A is still the root',
      );
    } finally {
      await target.close();
    }
  });

  test('a stream is read line by line: CRLF, a byte-order mark and characters split across chunks', async () => {
    const bytes = Buffer.from(`\uFEFF${exported.join('\r\n')}\r\n`);
    // 7-byte chunks cut most Chinese characters (3 bytes in UTF-8) in two.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const problems: string[] = [];
    const summary = await importLines(copy.database.db, readLines(Readable.from(chunks)), {
      onProblem: (line, message) => problems.push(`line ${line}: ${message}`),
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(counts(summary), { source: [0, 2, 0], category: [0, 5, 0], article: [0, 6, 0] });
  });

  test('a file that ends early is reported; a file without a header is refused before anything is written', async () => {
    const { summary, problems } = await importInto(copy, exported.slice(0, -2));
    assert.equal(summary.counts.article.updated, 4);
    assert.deepEqual(problems, [
      { line: 0, message: 'the file ends early: its header announces 13 records, it holds 11' },
    ]);
    await assert.rejects(importInto(copy, exported.slice(1)), (error: Error) => {
      assert.ok(error instanceof ImportFileError);
      assert.match(error.message, /^line 1: not a Newsdesk export/);
      return true;
    });
    await assert.rejects(
      importInto(copy, [JSON.stringify({ type: 'newsdesk-export', version: 2 })]),
      /format version 2; this Newsdesk reads version 1/,
    );
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI on one engine: a server database URL, or an embedded data folder. */
function cli(script: string, args: string[], engine: { url: string } | { dataDir: string }): Promise<Run> {
  const env = {
    ...process.env,
    ...('url' in engine
      ? { DATABASE_URL: engine.url }
      : { DATABASE_URL: '', NEWSDESK_DATA_DIR: engine.dataDir }),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
      cwd: root,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const records = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((record) => (record.type === 'newsdesk-export' ? { ...record, exported_at: undefined } : record));

describe('the CLIs', () => {
  test(`move everything across engines (${serverUrl ? 'embedded ⇄ server' : 'embedded → embedded'}) without loss`, async () => {
    // The origin's file, with one bad line after the sources: it is reported, everything else goes in.
    const original = join(scratch, 'original.ndjson');
    const withBadLine = [
      ...exported.slice(0, 3),
      '{"type":"source","slug":"nameless"}',
      ...exported.slice(3),
    ];
    writeFileSync(original, `${withBadLine.join('\n')}\n`);
    const first = { dataDir: join(scratch, 'first') };
    const server = serverUrl ? await freshServerDatabase() : undefined;
    const second = server ? { url: server.url } : { dataDir: join(scratch, 'second') };
    try {
      // The origin is on the server engine when TEST_DATABASE_URL is set: server → embedded → server.
      const imported = await cli('import', [original], first);
      assert.equal(imported.code, 1, 'a failed line makes the exit code non-zero');
      assert.match(imported.stderr, /^line 4: field 'name' is required$/m);
      assert.match(imported.stderr, /source +2 created, 0 updated, 1 failed/);
      assert.match(imported.stderr, /article +6 created, 0 updated, 0 failed/);

      const middle = join(scratch, 'middle.ndjson');
      const exportedFirst = await cli('export', ['--out', middle], first);
      assert.equal(exportedFirst.code, 0, exportedFirst.stderr);
      assert.match(exportedFirst.stderr, /exported 2 sources, 5 categories, 6 articles/);
      assert.deepEqual(records(readFileSync(middle, 'utf8')), records(exported.join('\n')));

      const importedSecond = await cli('import', [middle], second);
      assert.equal(importedSecond.code, 0, importedSecond.stderr);
      assert.match(importedSecond.stderr, /article +6 created, 0 updated, 0 failed/);
      const toStdout = await cli('export', [], second);
      assert.equal(toStdout.code, 0, toStdout.stderr);
      assert.deepEqual(records(toStdout.stdout), records(exported.join('\n')));

      const unlock = lockDataDir(first.dataDir);
      try {
        const locked = await cli('export', [], first);
        assert.equal(locked.code, 1);
        assert.match(locked.stderr, new RegExp(`is in use by process ${process.pid}; stop it`));
      } finally {
        unlock();
      }
    } finally {
      await server?.drop();
    }
  });
});
