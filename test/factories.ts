import assert from 'node:assert/strict';
import { type TestContext, unique } from './helpers.ts';

type Body = Record<string, unknown>;

async function create(ctx: TestContext, path: string, body: Body) {
  const response = await ctx.request({ method: 'POST', url: path, payload: body });
  assert.equal(response.statusCode, 201, `POST ${path} failed: ${response.body}`);
  return response.json().data;
}

export const makeSource = (ctx: TestContext, overrides: Body = {}) =>
  create(ctx, '/v1/sources', {
    name: `Source ${unique()}`,
    homepage_url: 'https://www.ithome.com/',
    ...overrides,
  });

export const makeCategory = (ctx: TestContext, overrides: Body = {}) =>
  create(ctx, '/v1/categories', { name: `Category ${unique()}`, ...overrides });

export const makeArticle = (ctx: TestContext, overrides: Body = {}) =>
  create(ctx, '/v1/articles', {
    title: `Article ${unique()}`,
    body_html: '<p>谷歌公布了其用于训练人工智能模型的超级计算机的新细节。</p>',
    lang: 'zh-Hans',
    status: 'published',
    published_at: '2023-04-05T09:09:19+08:00',
    ...overrides,
  });
