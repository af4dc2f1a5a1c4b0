import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from './problems.ts';

export type Scope = 'content:read' | 'content:write' | 'admin';

/** What a route declares in `config.access`: open to everyone, or needing a key with a scope. */
export type Access = 'public' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Whether this request may do what `scope` allows (e.g. see unpublished articles). */
    hasScope(scope: Scope): boolean;
  }
}

/** Routes added by documentation plugins; they serve only the public OpenAPI document. */
const DOCUMENTATION_PREFIX = '/docs';

/**
 * API keys arrive with the safe-writes work. Until then every scope is granted, so writes are open:
 * the README says so. This function is the single place that will check keys.
 */
function grantedScopes(_request: FastifyRequest): ReadonlySet<Scope> {
  return new Set<Scope>(['content:read', 'content:write', 'admin']);
}

export const accessControl = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('hasScope', function (this: FastifyRequest, scope: Scope) {
      return grantedScopes(this).has(scope);
    });
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith(DOCUMENTATION_PREFIX)) return;
      const access = route.config?.access;
      if (!access) {
        throw new Error(
          `Route ${route.method} ${route.url} does not declare config.access; refusing to start.`,
        );
      }
      // The OpenAPI document states each route's access, from the same declaration that enforces it.
      route.schema ??= {};
      Object.assign(route.schema, {
        security: [],
        'x-newsdesk-access': access === 'public' ? 'public' : access.scope,
      });
    });
    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.access;
      if (!access || access === 'public') return;
      if (!request.hasScope(access.scope)) {
        throw new Problem(403, 'forbidden', 'Forbidden', `This needs a key with the ${access.scope} scope.`);
      }
    });
  },
  { name: 'access-control' },
);
