import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { invalid } from './problems.ts';

/** Postgres text cannot hold U+0000; find it before validation so the error names the field. */
export function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}/${i}`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const escaped = key.replace(/~/g, '~0').replace(/\//g, '~1');
      if (key.includes('\u0000')) return `${path}/${escaped}`;
      const found = findNul(inner, `${path}/${escaped}`);
      if (found) return found;
    }
  }
  return undefined;
}

export const textGuard = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', (request, _reply, done) => {
      for (const [location, part] of [
        ['query', request.query],
        ['path', request.params],
        ['body', request.body],
      ] as const) {
        const path = findNul(part, '');
        if (path)
          return done(invalid([{ path, location, message: 'must not contain NUL (U+0000) characters' }]));
      }
      done();
    });
  },
  { name: 'text-guard' },
);
