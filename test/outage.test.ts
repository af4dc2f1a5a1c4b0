import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/database.ts';
import { PROBLEM_JSON } from './helpers.ts';

// A Postgres server that is not there: nothing listens on port 1.
let database: DatabaseHandle;
let app: FastifyInstance;
before(async () => {
  database = await openDatabase({ kind: 'server', url: 'postgres://postgres@127.0.0.1:1/newsdesk' });
  app = await buildApp({ config: loadConfig({}), database });
});
after(async () => {
  await app.close();
  await database.close();
});

describe('when the database is unreachable', () => {
  test('requests that need it are 503 problems with Retry-After, never 500s', async () => {
    for (const [method, url, headers] of [
      ['GET', '/v1/articles', {}],
      ['GET', '/v1/categories/tree', {}],
      ['POST', '/v1/sources', { authorization: 'Bearer nd_some-key' }],
    ] as const) {
      const response = await app.inject({
        method,
        url,
        headers,
        ...(method === 'POST' ? { payload: { name: 'x' } } : {}),
      });
      assert.equal(response.statusCode, 503, `${method} ${url}`);
      assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
      assert.equal(response.headers['retry-after'], '5');
      assert.equal(response.json().type, 'urn:newsdesk:problem:database-unavailable');
      assert.doesNotMatch(response.body, /ECONNREFUSED|127\.0\.0\.1/, 'no internals leak');
    }
  });

  test('readiness says not ready while liveness stays up', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503);
    assert.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
  });
});
