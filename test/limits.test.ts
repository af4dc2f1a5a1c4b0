import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { PROBLEM_JSON, startTestApp, type TestContext } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp({
    CORS_WRITE_ORIGINS: 'https://editor.example.com',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5',
    RATE_LIMIT_KEY_PER_MINUTE: '8',
    BODY_LIMIT_BYTES: '4096',
  });
});
after(() => ctx.close());

describe('CORS and security headers', () => {
  test('reads are open to any origin; writes only from the configured ones', async () => {
    const read = await ctx.anonymous({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://anywhere.example' },
    });
    assert.equal(read.headers['access-control-allow-origin'], '*');
    // The answer is the same for every origin, so a CDN keeps one copy, not one per Origin.
    const article = await ctx.anonymous({
      method: 'GET',
      url: '/v1/articles',
      headers: { origin: 'https://anywhere.example' },
    });
    assert.equal(article.headers['access-control-allow-origin'], '*');
    assert.equal(article.headers.vary, 'authorization');

    const preflight = (origin: string) =>
      ctx.anonymous({
        method: 'OPTIONS',
        url: '/v1/articles',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const denied = await preflight('https://evil.example');
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
    const allowed = await preflight('https://editor.example.com');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://editor.example.com');
    assert.match(allowed.headers['access-control-allow-headers'] as string, /authorization/);
  });

  test('reads limited to listed origins vary by Origin', async () => {
    const listed = await startTestApp({ CORS_READ_ORIGINS: 'https://site.example.com' });
    try {
      const read = (origin: string) =>
        listed.anonymous({ method: 'GET', url: '/v1/articles', headers: { origin } });
      const allowed = await read('https://site.example.com');
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://site.example.com');
      assert.match(allowed.headers.vary as string, /^Origin, authorization$/i);
      const other = await read('https://elsewhere.example');
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      assert.match(other.headers.vary as string, /Origin/);
    } finally {
      await listed.close();
    }
  });

  test('every response carries a request id, and an incoming X-Request-Id is kept', async () => {
    const generated = await ctx.anonymous({ method: 'GET', url: '/health/live' });
    assert.match(generated.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const kept = await ctx.anonymous({
      method: 'GET',
      url: '/v1/nowhere',
      headers: { 'x-request-id': 'edge-42' },
    });
    assert.equal(kept.headers['x-request-id'], 'edge-42');
  });

  test('security headers are set, on errors too', async () => {
    for (const url of ['/health/live', '/v1/articles/no-such-article', '/no/such/route']) {
      const response = await ctx.anonymous({ method: 'GET', url });
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
      assert.ok(response.headers['strict-transport-security'], url);
      assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN', url);
      assert.equal(response.headers['x-powered-by'], undefined, url);
    }
  });

  test('a body over the configured limit is a 413 problem', async () => {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/sources',
      payload: { name: 'x'.repeat(5000) },
    });
    assert.equal(response.statusCode, 413);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
  });
});

describe('rate limits', () => {
  test('per IP without a key: 429 with Retry-After and RateLimit headers; a key has its own budget', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestContext['anonymous']>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await ctx.anonymous({ method: 'GET', url: '/v1/sources', remoteAddress: '203.0.113.7' });
      statuses.push(last.statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.match(last?.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(last?.json().type, 'urn:newsdesk:problem:rate-limited');
    assert.ok(Number(last?.headers['retry-after']) > 0);
    assert.equal(last?.headers['ratelimit-limit'], '5');
    assert.equal(last?.headers['ratelimit-remaining'], '0');

    const other = await ctx.anonymous({ method: 'GET', url: '/v1/sources', remoteAddress: '203.0.113.8' });
    assert.equal(other.statusCode, 200, 'another IP is not affected');
    const secret = await ctx.key('content:read');
    const keyed = await ctx.anonymous({
      method: 'GET',
      url: '/v1/sources',
      remoteAddress: '203.0.113.7',
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(keyed.statusCode, 200, 'a key is counted on its own');
    assert.equal(keyed.headers['ratelimit-limit'], '8');
    const health = await ctx.anonymous({ method: 'GET', url: '/health/live', remoteAddress: '203.0.113.7' });
    assert.equal(health.statusCode, 200, 'health checks are never limited');
  });

  test('behind a proxy (TRUST_PROXY) clients are told apart by X-Forwarded-For', async () => {
    const proxied = await startTestApp({ TRUST_PROXY: 'true', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1' });
    try {
      const from = (client: string) =>
        proxied.anonymous({
          method: 'GET',
          url: '/v1/sources',
          remoteAddress: '10.0.0.1',
          headers: { 'x-forwarded-for': client },
        });
      assert.equal((await from('192.0.2.1')).statusCode, 200);
      assert.equal((await from('192.0.2.2')).statusCode, 200, 'another client behind the same proxy');
      assert.equal((await from('192.0.2.1')).statusCode, 429);
    } finally {
      await proxied.close();
    }
  });

  // CI always has Redis (.ci/run starts it); elsewhere the test is skipped, and says so, when none answers.
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisAnswers = async () => {
    const probe = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 500,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };

  test('with REDIS_URL the counters are shared by every instance', async (t) => {
    if (process.env.CI !== 'true' && !(await redisAnswers())) {
      t.skip(`no Redis at ${redisUrl} (set TEST_REDIS_URL)`);
      return;
    }
    const settings = {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `newsdesk-test-${randomUUID()}:`,
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3',
    };
    const first = await startTestApp(settings);
    const second = await startTestApp(settings);
    try {
      const statuses = [];
      for (const instance of [first, second, first, second]) {
        statuses.push(
          (await instance.anonymous({ method: 'GET', url: '/v1/sources', remoteAddress: '198.51.100.1' }))
            .statusCode,
        );
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
