import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeArticle, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

let ctx: TestContext;
let writer: string;
before(async () => {
  ctx = await startTestApp();
  writer = `Bearer ${await ctx.key('content:write')}`;
});
after(() => ctx.close());

const asWriter = (options: Parameters<TestContext['anonymous']>[0]) =>
  ctx.anonymous({ ...options, headers: { authorization: writer, ...options.headers } });

describe('trash', () => {
  test('DELETE moves an article to the trash; it disappears from every read and comes back with restore', async () => {
    const article = await makeArticle(ctx, { title: unique('回收站测试') });
    assert.equal((await asWriter({ method: 'DELETE', url: `/v1/articles/${article.id}` })).statusCode, 204);
    assert.equal((await ctx.anonymous({ method: 'GET', url: `/v1/articles/${article.id}` })).statusCode, 404);
    assert.equal((await ctx.request({ method: 'GET', url: `/v1/articles/${article.id}` })).statusCode, 404);
    const search = await ctx.anonymous({
      method: 'GET',
      url: `/v1/articles?q=${encodeURIComponent(article.title)}`,
    });
    assert.deepEqual(search.json().data, []);

    assert.equal(
      (await ctx.anonymous({ method: 'GET', url: '/v1/articles?status=trashed' })).statusCode,
      401,
    );
    const trash = await ctx.request({ method: 'GET', url: '/v1/articles?status=trashed&limit=100' });
    assert.ok(trash.json().data.some((a: { id: number }) => a.id === article.id));

    const restored = await asWriter({ method: 'POST', url: `/v1/articles/${article.id}/restore` });
    assert.equal(restored.statusCode, 200);
    assert.equal(restored.json().data.title, article.title);
    assert.equal((await ctx.anonymous({ method: 'GET', url: `/v1/articles/${article.id}` })).statusCode, 200);
    const again = await asWriter({ method: 'POST', url: `/v1/articles/${article.id}/restore` });
    assert.equal(again.statusCode, 409);
  });

  test('purging needs the admin scope and is explicit', async () => {
    const article = await makeArticle(ctx);
    const denied = await asWriter({ method: 'DELETE', url: `/v1/articles/${article.id}?purge=true` });
    assert.equal(denied.statusCode, 403);
    assert.match(denied.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(
      (await ctx.request({ method: 'DELETE', url: `/v1/articles/${article.id}?purge=true` })).statusCode,
      204,
    );
    assert.equal(
      (await ctx.request({ method: 'POST', url: `/v1/articles/${article.id}/restore` })).statusCode,
      404,
    );
  });
});

describe('revisions', () => {
  test('every change keeps the previous state with its key; restoring a revision brings back exactly its content', async () => {
    const original = await makeArticle(ctx, {
      title: '原始标题',
      body_html: '<h2>背景</h2><p>原始正文。</p>',
      summary: '原始摘要',
      tags: ['原始'],
      cover_image: { url: 'https://img.example.com/a.jpg', caption: '原图', credit: '图片来自网络/侵删' },
    });
    await asWriter({
      method: 'PATCH',
      url: `/v1/articles/${original.id}`,
      payload: { title: '第二版', tags: ['改'] },
    });
    await asWriter({
      method: 'PATCH',
      url: `/v1/articles/${original.id}`,
      payload: { body_html: '<p>被破坏的正文<a href="https://spam.example">spam</a></p>' },
    });

    const list = await ctx.request({ method: 'GET', url: `/v1/articles/${original.id}/revisions` });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().data.map((r: { revision: number }) => r.revision),
      [2, 1],
    );
    assert.ok(list.json().data[0].key_name.startsWith('key-'), 'the key that made the change is recorded');

    const first = await ctx.request({ method: 'GET', url: `/v1/articles/${original.id}/revisions/1` });
    assert.equal(first.json().data.article.title, '原始标题');

    const restored = await asWriter({
      method: 'POST',
      url: `/v1/articles/${original.id}/revisions/1/restore`,
    });
    assert.equal(restored.statusCode, 200);
    const now = restored.json().data;
    for (const field of [
      'title',
      'slug',
      'summary',
      'body_html',
      'body_text',
      'tags',
      'cover_image',
      'status',
      'published_at',
      'lang',
    ]) {
      assert.deepEqual(now[field], original[field], field);
    }
    assert.equal(now.revision, 4, 'the restore is itself a new revision');
    const after = await ctx.request({ method: 'GET', url: `/v1/articles/${original.id}/revisions` });
    assert.equal(after.json().data.length, 3);

    const missing = await ctx.request({ method: 'GET', url: `/v1/articles/${original.id}/revisions/99` });
    assert.equal(missing.statusCode, 404);
    assert.equal(
      (await ctx.anonymous({ method: 'GET', url: `/v1/articles/${original.id}/revisions` })).statusCode,
      401,
    );
  });
});

describe('audit trail', () => {
  test('sources and categories record who changed what', async () => {
    const created = await asWriter({ method: 'POST', url: '/v1/sources', payload: { name: unique('来源') } });
    const id = created.json().data.id;
    await asWriter({ method: 'PATCH', url: `/v1/sources/${id}`, payload: { description: '新的描述' } });
    await asWriter({ method: 'DELETE', url: `/v1/sources/${id}` });
    const audit = await ctx.request({ method: 'GET', url: `/v1/audit?resource=source&resource_id=${id}` });
    assert.equal(audit.statusCode, 200);
    assert.deepEqual(
      audit.json().data.map((e: { action: string }) => e.action),
      ['delete', 'update', 'create'],
    );
    assert.deepEqual(audit.json().data[1].changes, { description: '新的描述' });
    assert.ok(audit.json().data.every((e: { key_name: string }) => e.key_name?.startsWith('key-')));
    assert.equal((await asWriter({ method: 'GET', url: '/v1/audit' })).statusCode, 403);
  });
});

describe('sanitising', () => {
  test('XSS payloads come back inert and hidden spam blocks are removed', async () => {
    const payloads = [
      '<img src=x onerror=alert(1)>',
      '<svg/onload=alert(1)>',
      '<a href="javascript:alert(1)">x</a>',
      '<a href="JaVaScRiPt:alert(1)">x</a>',
      '<iframe src="https://evil.example/"></iframe>',
      '<p style="background:url(javascript:alert(1))">styled</p>',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
      '<div style="display:none"><a href="https://spam.example/pills">cheap pills</a></div>',
      '<p hidden><a href="https://spam.example/casino">casino</a></p>',
      '<span style="position:absolute;left:-9999px"><a href="https://spam.example/loans">loans</a></span>',
    ];
    const article = await makeArticle(ctx, { body_html: `<p>正文</p>${payloads.join('')}` });
    assert.doesNotMatch(
      article.body_html,
      /<script|<svg|<iframe|<style|onerror|onload|javascript:|style=|spam\.example/i,
    );
    assert.doesNotMatch(article.body_text, /cheap pills|casino|loans/);
    assert.match(article.body_html, /<p>正文<\/p>/);
  });

  test('plain fields refuse markup', async () => {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/articles',
      payload: { title: '<b>标题</b>' },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().errors[0].path, '/title');
    const source = await ctx.request({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'IT之家<script>' },
    });
    assert.equal(source.statusCode, 400);
    assert.ok((await makeSource(ctx, { name: unique('a < b') })).id, 'a lone < is text');
  });
});

describe('iframes', () => {
  test('only iframes from IFRAME_ALLOWED_HOSTS stay', async () => {
    const allowing = await startTestApp({ IFRAME_ALLOWED_HOSTS: 'player.bilibili.com' });
    try {
      const response = await allowing.request({
        method: 'POST',
        url: '/v1/articles',
        payload: {
          title: unique('视频'),
          body_html:
            '<p>视频：</p><iframe src="https://player.bilibili.com/player.html?bvid=BV1" width="640" onload="x()"></iframe><iframe src="https://evil.example/x"></iframe><iframe src="http://player.bilibili.com/insecure"></iframe>',
        },
      });
      assert.equal(response.statusCode, 201);
      assert.equal(
        response.json().data.body_html,
        '<p>视频：</p><iframe src="https://player.bilibili.com/player.html?bvid=BV1" width="640"></iframe>',
      );
    } finally {
      await allowing.close();
    }
  });
});
