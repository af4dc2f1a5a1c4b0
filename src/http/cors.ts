import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const READS = new Set(['GET', 'HEAD']);

/** Browsers may read from the configured origins (any, by default) but write only from the listed ones. */
export const cors = fp(
  async (app: FastifyInstance) => {
    const { corsReadOrigins, corsWriteOrigins } = app.config;
    // Built once: the delegator runs on every request, and @fastify/cors copies what it is given.
    const shared = {
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
    };
    const refused = { ...shared, origin: false };
    const anyOrigin = { ...shared, origin: '*' };
    await app.register(fastifyCors, {
      delegator: (request: FastifyRequest, callback) => {
        const preflight = request.method === 'OPTIONS';
        const method = preflight
          ? String(request.headers['access-control-request-method'] ?? '').toUpperCase()
          : request.method;
        const origin = request.headers.origin;
        if (READS.has(method) && corsReadOrigins === '*') return callback(null, anyOrigin);
        const allowed =
          origin !== undefined && (READS.has(method) ? corsReadOrigins : corsWriteOrigins).includes(origin);
        callback(null, allowed ? { ...shared, origin } : refused);
      },
    });
  },
  { name: 'cors', dependencies: [] },
);
