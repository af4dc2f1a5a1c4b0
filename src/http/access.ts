import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ApiKey, authenticate } from '../modules/keys/repository.ts';
import { Problem } from './problems.ts';
import { protocolResponses } from './schemas.ts';

export type Scope = 'content:read' | 'content:write' | 'admin';

/** What a route declares in `config.access`: open to everyone, or needing a key with a scope. */
export type Access = 'public' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The key the request authenticated with, if any. */
    apiKey: ApiKey | null;
    /** Whether this request may do what `scope` allows (e.g. see unpublished articles). */
    hasScope(scope: Scope): boolean;
  }
}

/** Each scope includes the ones below it. */
const IMPLIED: Record<Scope, readonly Scope[]> = {
  admin: ['admin', 'content:write', 'content:read'],
  'content:write': ['content:write', 'content:read'],
  'content:read': ['content:read'],
};

/** Routes added by documentation plugins; they serve only the public OpenAPI document. */
const DOCUMENTATION_PREFIX = '/docs';

const unauthorized = (detail: string) =>
  new Problem(
    401,
    'unauthorized',
    'Unauthorized',
    detail,
    {},
    { 'www-authenticate': 'Bearer realm="newsdesk"' },
  );

/** Who is making a change, for revisions and the audit log. */
export const actorOf = (request: FastifyRequest) =>
  request.apiKey ? { id: request.apiKey.id, name: request.apiKey.name } : null;

/** For what a public route does only for some callers (e.g. listing drafts): 401 or 403 unless allowed. */
export function requireScope(request: FastifyRequest, scope: Scope, what: string): void {
  if (!request.apiKey) throw unauthorized(`${what} needs an API key with the ${scope} scope.`);
  if (!request.hasScope(scope))
    throw new Problem(403, 'forbidden', 'Forbidden', `${what} needs a key with the ${scope} scope.`);
}

/**
 * One place decides who may do what: every route declares its access (a route that does not refuses to
 * boot), and this hook checks the `Authorization: Bearer <key>` against it.
 */
export const accessControl = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('apiKey', null);
    app.decorateRequest('hasScope', function (this: FastifyRequest, scope: Scope) {
      return this.apiKey?.scopes.some((granted) => IMPLIED[granted].includes(scope)) ?? false;
    });
    app.addHook('onRoute', (route) => {
      // Documentation pages, and CORS preflights (which carry no credentials and do nothing).
      if (route.url.startsWith(DOCUMENTATION_PREFIX) || route.method === 'OPTIONS') return;
      const access = route.config?.access;
      if (!access) {
        throw new Error(
          `Route ${route.method} ${route.url} does not declare config.access; refusing to start.`,
        );
      }
      // The OpenAPI document states each route's access, from the same declaration that enforces it.
      route.schema ??= {};
      Object.assign(route.schema, {
        security: access === 'public' ? [{}, { apiKey: [] }] : [{ apiKey: [access.scope] }],
        'x-newsdesk-access': access === 'public' ? 'public' : access.scope,
      });
      // So does what HTTP answers on every route of its method (a 304, a 415), whatever the route declares.
      route.schema.response = {
        ...protocolResponses([route.method].flat()),
        ...(route.schema.response as object | undefined),
      };
    });
    const checkAccess = (request: FastifyRequest) => {
      const access = request.routeOptions.config?.access;
      if (access && access !== 'public') requireScope(request, access.scope, 'This');
    };
    const authenticated = async (request: FastifyRequest, header: string) => {
      const secret = /^Bearer +(\S+)$/i.exec(header)?.[1];
      if (!secret) throw unauthorized('The Authorization header must be "Bearer <api key>".');
      const key = await authenticate(app.db, secret);
      if (!key) throw unauthorized('The API key is not valid, or has been revoked.');
      request.apiKey = key;
      checkAccess(request);
    };
    app.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers.authorization;
      if (header !== undefined) {
        authenticated(request, header).then(() => done(), done);
        return;
      }
      // Anonymous: decided without a promise, on the path every public read takes.
      try {
        checkAccess(request);
      } catch (error) {
        return done(error as Error);
      }
      done();
    });
  },
  { name: 'access-control' },
);
