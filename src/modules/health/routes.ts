import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { problemResponses } from '../../http/schemas.ts';

const HealthSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
    engine: Type.Optional(Type.Union([Type.Literal('server'), Type.Literal('embedded')])),
  },
  { additionalProperties: false },
);

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health/live',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        tags: ['health'],
        operationId: 'live',
        summary: 'Liveness: the process is up (does not touch the database)',
        response: { 200: HealthSchema, ...problemResponses() },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        tags: ['health'],
        operationId: 'ready',
        summary: 'Readiness: the database answers',
        response: {
          ...problemResponses(),
          200: HealthSchema,
          // Its own answer when the database does not, or a problem (e.g. while the server shuts down):
          // one schema per type, or the problem would be serialised with the health schema and fail.
          503: {
            description: 'Not ready: the database does not answer, or the server is shutting down.',
            content: {
              'application/json': { schema: HealthSchema },
              'application/problem+json': { schema: Type.Ref('Problem') },
            },
          },
        },
      },
    },
    async (request, reply) => {
      try {
        await sql`select 1`.execute(app.db);
        return { status: 'ok' as const, engine: app.dbEngine };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({ status: 'unavailable' as const, engine: app.dbEngine });
      }
    },
  );
};
