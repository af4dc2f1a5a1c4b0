import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const READS = new Set(['GET', 'HEAD']);

/** Browsers may read from the configured origins (any, by default) but write only from the listed ones. */
export const cors = fp(
  async (app: FastifyInstance) => {
    const { corsReadOrigins, corsWriteOrigins } = app.config;
    // Built once and frozen: the delegator runs on every request, and the (patched) plugin normalises a
    // frozen answer only the first time it sees it.
    const shared = {
      methods: 'GET, HEAD, POST, PATCH, DELETE',
      allowedHeaders: 'authorization, content-type, if-match, if-none-match, x-request-id',
      exposedHeaders:
        'etag, link, location, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset',
      maxAge: 600,
    };
    const refused = Object.freeze({ ...shared, origin: false });
    // The same for every origin, so caches keep one copy rather than one per Origin (no `Vary: Origin`);
    // `dynamic: false` says so to the patched plugin.
    const anyOrigin = Object.freeze({ ...shared, origin: '*', dynamic: false });
    const allowing = new Map(
      [...new Set([...(corsReadOrigins === '*' ? [] : corsReadOrigins), ...corsWriteOrigins])].map(
        (origin) => [origin, Object.freeze({ ...shared, origin })],
      ),
    );
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
        callback(null, allowed ? (allowing.get(origin) ?? refused) : refused);
      },
    });
  },
  { name: 'cors', dependencies: [] },
);
