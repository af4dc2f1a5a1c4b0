import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const READS = new Set(['GET', 'HEAD']);

/** Browsers may read from the configured origins (any, by default) but write only from the listed ones. */
export const cors = fp(
  async (app: FastifyInstance) => {
    const { corsReadOrigins, corsWriteOrigins } = app.config;
    await app.register(fastifyCors, {
      delegator: (request: FastifyRequest, callback) => {
        const preflight = request.method === 'OPTIONS';
        const method = preflight
          ? String(request.headers['access-control-request-method'] ?? '').toUpperCase()
          : request.method;
        const origin = request.headers.origin;
        const allowed = READS.has(method)
          ? corsReadOrigins === '*' || (origin !== undefined && corsReadOrigins.includes(origin))
          : origin !== undefined && corsWriteOrigins.includes(origin);
        callback(null, {
          origin: allowed ? (READS.has(method) && corsReadOrigins === '*' ? '*' : (origin ?? false)) : false,
          methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
          allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'x-request-id'],
          exposedHeaders: [
            'etag',
            'link',
            'location',
            'retry-after',
            'ratelimit-limit',
            'ratelimit-remaining',
            'ratelimit-reset',
          ],
          maxAge: 600,
        });
      },
    });
  },
  { name: 'cors', dependencies: [] },
);
