import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { loggerOptions } from '../src/logging.ts';
import { makeArticle } from './factories.ts';
import { PROBLEM_JSON, startTestApp } from './helpers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the event loop busy in slices, the way a flood of CPU-heavy requests would. */
async function saturateEventLoop(ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const slice = Date.now() + 80;
    while (Date.now() < slice) {
      // busy
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('overload', () => {
  test('when the event loop falls behind, requests are shed with a 503 problem; liveness still answers', async () => {
    const ctx = await startTestApp({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '20' });
    try {
      await sleep(1100); // shedding starts once samples after start-up are in
      assert.equal((await ctx.anonymous({ method: 'GET', url: '/v1/articles' })).statusCode, 200);

      await saturateEventLoop(1200);
      const shed = await ctx.anonymous({ method: 'GET', url: '/v1/articles' });
      assert.equal(shed.statusCode, 503);
      assert.match(shed.headers['content-type'] as string, PROBLEM_JSON);
      assert.equal(shed.json().type, 'urn:newsdesk:problem:overloaded');
      assert.ok(Number(shed.headers['retry-after']) > 0);
      assert.equal((await ctx.anonymous({ method: 'GET', url: '/health/live' })).statusCode, 200);

      await sleep(1200); // the loop keeps up again
      assert.equal((await ctx.anonymous({ method: 'GET', url: '/v1/articles' })).statusCode, 200);
    } finally {
      await ctx.close();
    }
  });
});

describe('logs', () => {
  test('JSON lines with the request id, and no key or Authorization header in any line', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const options = loggerOptions({ logLevel: 'trace', logFormat: 'auto' }, { isTTY: false });
    const ctx = await startTestApp({}, { logger: { ...options, stream } });
    try {
      const writeKey = await ctx.key('content:write');
      await makeArticle(ctx, { status: 'draft' });
      await ctx.request({
        method: 'GET',
        url: '/v1/articles?status=draft',
        headers: { 'x-request-id': 'edge-42' },
      });
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'logged', scopes: ['content:read'] },
      });
      const newSecret = created.json().secret as string;
      assert.ok(newSecret, 'a new key was made');
      await ctx.anonymous({
        method: 'GET',
        url: '/v1/articles',
        headers: {
          authorization: 'Bearer nd_not-a-real-key-0000000000000000',
          'x-request-id': 'bad id\u0007',
        },
      });
      await ctx.anonymous({
        method: 'GET',
        url: '/v1/articles',
        headers: { authorization: `Bearer ${writeKey}` },
      });
      ctx.app.log.info(
        { headers: { authorization: `Bearer ${writeKey}` }, secret: newSecret },
        'a careless log call',
      );

      const parsed = lines.map((line) => JSON.parse(line));
      assert.ok(parsed.length > 8, 'requests were logged');
      const text = lines.join('\n');
      for (const secret of [writeKey, newSecret, 'nd_not-a-real-key']) {
        assert.ok(!text.includes(secret), `no log line contains ${secret.slice(0, 6)}…`);
      }
      assert.doesNotMatch(text, /Bearer/);
      assert.ok(text.includes('[redacted]'), 'the careless log call was redacted');

      const requestLines = parsed.filter((entry) => entry.req);
      assert.ok(requestLines.every((entry) => typeof entry.reqId === 'string' && entry.reqId.length > 0));
      assert.ok(
        requestLines.some((entry) => entry.reqId === 'edge-42'),
        'an incoming X-Request-Id is kept',
      );
      assert.ok(
        requestLines.every((entry) => !String(entry.reqId).includes('bad id')),
        'a malformed X-Request-Id is replaced',
      );
    } finally {
      await ctx.close();
    }
  });

  test('readable lines on a terminal, JSON otherwise, or as LOG_FORMAT says', () => {
    const pretty = (format: 'auto' | 'json' | 'pretty', isTTY: boolean) =>
      'transport' in loggerOptions({ logLevel: 'info', logFormat: format }, { isTTY });
    assert.equal(pretty('auto', true), true);
    assert.equal(pretty('auto', false), false);
    assert.equal(pretty('json', true), false);
    assert.equal(pretty('pretty', false), true);
  });
});
