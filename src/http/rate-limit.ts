import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { Problem } from './problems.ts';

/**
 * Per key (when the request has one) or per IP, per minute. Counters live in Redis when REDIS_URL is set,
 * so every instance behind a load balancer shares them; in memory otherwise. If Redis fails, requests are
 * let through rather than refused: the API stays up. Health probes opt out in their route config
 * (`rateLimit: false`), which the plugin settles once per route rather than asking on every request.
 */
export const rateLimit = fp(
  async (app: FastifyInstance) => {
    const { rateLimitAnonymousPerMinute, rateLimitKeyPerMinute, redisUrl, redisKeyPrefix } = app.config;
    const redis = redisUrl
      ? new Redis(redisUrl, {
          connectTimeout: 500,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          lazyConnect: false,
        })
      : undefined;
    if (redis) {
      redis.on('error', (error) =>
        app.log.warn({ err: error }, 'redis error (rate limits are not enforced while it lasts)'),
      );
      app.addHook('onClose', async () => {
        redis.disconnect();
      });
    }
    await app.register(fastifyRateLimit, {
      // After the access check, so a request is counted against its key.
      hook: 'preHandler',
      timeWindow: 60_000,
      max: (request) => (request.apiKey ? rateLimitKeyPerMinute : rateLimitAnonymousPerMinute),
      keyGenerator: (request) => (request.apiKey ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
      enableDraftSpec: true,
      skipOnError: true,
      ...(redis ? { redis, nameSpace: `${redisKeyPrefix}rate-limit:` } : {}),
      errorResponseBuilder: (_request, context) =>
        new Problem(
          429,
          'rate-limited',
          'Too Many Requests',
          `More than ${context.max} requests in a minute; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        ),
    });
  },
  { name: 'rate-limit', dependencies: ['access-control'] },
);
