import { randomUUID } from 'node:crypto';
import fastifyEtag from '@fastify/etag';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import { watchReplica } from './db/replica.ts';
import type { Database } from './db/types.ts';
import { accessControl } from './http/access.ts';
import { cors } from './http/cors.ts';
import { clientErrorProblem, errorHandler, frameworkErrors } from './http/error-handler.ts';
import { notModified } from './http/etags.ts';
import { drainOnClose, overloadShedding } from './http/overload.ts';
import { rateLimit } from './http/rate-limit.ts';
import { problemResponses, sharedSchemas } from './http/schemas.ts';
import { securityHeaders } from './http/security-headers.ts';
import { fastNullableObjectSerializer } from './http/serialization.ts';
import { textGuard } from './http/text-guard.ts';
import { strictBodyValidator } from './http/validation.ts';
import { articleRoutes } from './modules/articles/routes.ts';
import { articleSchemas } from './modules/articles/schemas.ts';
import { auditRoutes } from './modules/audit-routes.ts';
import { categoryRoutes } from './modules/categories/routes.ts';
import { categorySchemas } from './modules/categories/schemas.ts';
import { feedRoutes } from './modules/feeds/routes.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { ApiKeySchema, keyRoutes } from './modules/keys/routes.ts';
import { sourceRoutes } from './modules/sources/routes.ts';
import { sourceSchemas } from './modules/sources/schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The read replica for anonymous reads when one is configured; the primary for everything else. */
    db: Kysely<Database>;
  }
  interface FastifyInstance {
    /** The primary. */
    db: Kysely<Database>;
    dbEngine: DatabaseHandle['engine'];
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  /** A read replica (DATABASE_READ_URL). */
  readDatabase?: DatabaseHandle;
  logger?: FastifyServerOptions['logger'];
}

const DESCRIPTION = `Newsdesk serves a news site's articles, sources and category trees as JSON.

- Lists are paged by cursor (\`meta.next_cursor\`, \`Link: rel="next"\`) or by \`page=\`.
- Errors are \`application/problem+json\` (RFC 9457); validation errors name each field in \`errors\`.
- Reads of published content are public; everything else needs \`Authorization: Bearer <api key>\` with a scope.`;

/** An incoming X-Request-Id is kept when it is a sane token, so one id follows a request everywhere. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp({
  config,
  database,
  readDatabase,
  logger = false,
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    frameworkErrors,
    clientErrorHandler: clientErrorProblem,
    // Slugs may be 200 characters, percent-encoded CJK three times that; longer paths are a 400 problem.
    routerOptions: { maxParamLength: 1000 },
    requestTimeout: config.requestTimeoutMs,
    return503OnClosing: false, // drainOnClose answers with a problem instead
    // Idle keep-alive sockets and stalled uploads are closed rather than held open forever.
    connectionTimeout: config.requestTimeoutMs === 0 ? 0 : config.requestTimeoutMs * 2,
    schemaController: {
      compilersFactory: {
        buildValidator: strictBodyValidator(),
        buildSerializer: fastNullableObjectSerializer(),
      },
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const publicCache = `public, max-age=${config.cacheMaxAgeSeconds}, stale-while-revalidate=${config.cacheStaleWhileRevalidateSeconds}`;
  // Hooks on every response are written with callbacks: an async hook costs a promise per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    // Public reads may be cached by CDNs and browsers; anything a key could see, or any error, may not.
    const publicRead =
      (request.method === 'GET' || request.method === 'HEAD') &&
      request.routeOptions.config?.access === 'public' &&
      request.headers.authorization === undefined &&
      !request.url.startsWith('/health/') &&
      (reply.statusCode === 200 || reply.statusCode === 304);
    reply.header('cache-control', publicRead ? publicCache : 'no-store');
    // A key can see more (drafts): a cache must not answer a keyed request with a stored public response.
    if (request.method === 'GET' || request.method === 'HEAD') {
      const vary = reply.getHeader('vary');
      reply.header('vary', vary ? `${vary}, authorization` : 'authorization');
    }
    done(null, payload);
  });
  app.decorate('db', database.db);
  const replica = readDatabase
    ? watchReplica(readDatabase, {
        intervalMs: 1000,
        onChange: (healthy) =>
          healthy
            ? app.log.info('the read replica answers again; anonymous reads go back to it')
            : app.log.warn('the read replica does not answer; anonymous reads go to the primary'),
      })
    : undefined;
  if (replica) app.addHook('onClose', async () => replica.stop());
  app.decorateRequest('db', {
    getter(this: FastifyRequest) {
      // Keyed requests (every write, and an editor's reads) stay on the primary, so a client reads its
      // own writes; the anonymous public, where a second of replica lag is harmless, reads the replica.
      const anonymousRead =
        (this.method === 'GET' || this.method === 'HEAD') && this.headers.authorization === undefined;
      return readDatabase && replica?.healthy() && anonymousRead ? readDatabase.db : database.db;
    },
  });
  app.decorate('dbEngine', database.engine);
  app.decorate('config', config);
  // Bodies are JSON only: a text/plain body is a 415, not a string that fails validation with a 400.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );

  await app.register(errorHandler);
  await app.register(overloadShedding);
  await app.register(drainOnClose);
  await app.register(textGuard);
  // @fastify/etag sets ETags on bodies that have none; notModified turns them into 304s, but only for
  // successful reads.
  await app.register(fastifyEtag, { replyWith304: false });
  await app.register(notModified);
  // The headers OWASP's REST cheat sheet asks of an API (HSTS, nosniff, frame options, cross-origin
  // policies, referrer policy); helmet's others address old browsers rendering HTML documents.
  await app.register(securityHeaders, {
    contentSecurityPolicy: false, // JSON has no scripts; the docs page needs its inline ones
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    dnsPrefetchControl: false,
    ieNoOpen: false,
    originAgentCluster: false,
    permittedCrossDomainPolicies: false,
    xssFilter: false,
  });
  await app.register(cors);
  await app.register(accessControl);
  await app.register(rateLimit);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Newsdesk API',
        version: '1.0.0',
        description: DESCRIPTION,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'This Newsdesk instance' }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key: `Authorization: Bearer nd_…`. Scopes: `content:read` (unpublished content), `content:write` (create, change, delete; includes content:read), `admin` (keys; includes both). Create one with `npm run key -- create`.',
          },
        },
      },
      tags: [
        { name: 'articles', description: 'News articles.' },
        { name: 'sources', description: 'Where articles come from.' },
        { name: 'categories', description: 'The category tree.' },
        { name: 'feeds', description: 'RSS, Atom and JSON Feed of the same listings.' },
        { name: 'keys', description: 'API keys (admin scope).' },
        { name: 'health', description: 'Probes for orchestrators and load balancers.' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `Schema${i}`,
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  for (const schema of [
    ApiKeySchema,
    ...sharedSchemas,
    ...sourceSchemas,
    ...categorySchemas,
    ...articleSchemas,
  ]) {
    app.addSchema(schema);
  }

  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI 3.1 document',
        response: {
          200: Type.Object({}, { additionalProperties: true, description: 'The OpenAPI document.' }),
          ...problemResponses(),
        },
      },
    },
    async () => app.swagger(),
  );
  await app.register(healthRoutes);
  await app.register(sourceRoutes);
  await app.register(categoryRoutes);
  await app.register(articleRoutes);
  await app.register(feedRoutes);
  await app.register(keyRoutes);
  await app.register(auditRoutes);
  return app;
}
