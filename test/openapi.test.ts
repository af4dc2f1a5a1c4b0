import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { openapiDocument } from '../scripts/openapi-document.ts';
import { openapiTypes } from '../scripts/openapi-types.ts';
import { startTestApp, type TestContext } from './helpers.ts';

const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('the OpenAPI document', () => {
  test('openapi/openapi.json is what the route schemas generate (run `npm run openapi` after changing them)', async () => {
    const generated = await openapiDocument();
    assert.ok(generated === committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it');
  });

  test('the generated integrator types are current (the typecheck ran against them)', async () => {
    const onDisk = readFileSync(new URL('./integrator/schema.d.ts', import.meta.url), 'utf8');
    assert.ok(
      onDisk === (await openapiTypes(committed)),
      'test/integrator/schema.d.ts is stale: run `npm run typecheck`',
    );
  });

  test('GET /openapi.json serves the same 3.1 document, and GET /docs a page for people', async () => {
    const served = await ctx.request({ method: 'GET', url: '/openapi.json' });
    assert.equal(served.statusCode, 200);
    assert.equal(served.json().openapi, '3.1.0');
    assert.deepEqual(
      Object.keys(served.json().paths).sort(),
      Object.keys(JSON.parse(committed).paths).sort(),
    );
    const docs = await ctx.request({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type'] as string, /text\/html/);
  });

  test('every operation has an id, its access, a success response and problem responses for errors', () => {
    const document = JSON.parse(committed);
    const schemas = Object.keys(document.components.schemas);
    for (const name of [
      'Article',
      'ArticleListItem',
      'Source',
      'Category',
      'CategoryTreeNode',
      'Problem',
      'PageMeta',
    ]) {
      assert.ok(schemas.includes(name), `components.schemas.${name}`);
    }
    let operations = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.operationId, `${where} has an operationId`);
        assert.ok(
          ['public', 'content:read', 'content:write', 'admin'].includes(operation['x-newsdesk-access']),
          where,
        );
        const statuses = Object.keys(operation.responses);
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${where} documents success`,
        );
        for (const status of statuses.filter((s) => /^[45]/.test(s))) {
          if (path === '/health/ready' && status === '503') continue;
          const content = operation.responses[status].content;
          assert.deepEqual(
            Object.keys(content),
            ['application/problem+json'],
            `${where} ${status} is problem+json`,
          );
        }
        assert.ok(statuses.includes('400') && statuses.includes('500'), `${where} documents 400 and 500`);
      }
    }
    assert.ok(operations >= 20);
  });
});
