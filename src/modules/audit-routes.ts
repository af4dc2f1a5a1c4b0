import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problemResponses } from '../http/schemas.ts';
import { listAudit } from './audit.ts';

const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    resource: Type.Enum(['source', 'category', 'article', 'key']),
    resource_id: Type.Integer(),
    action: Type.String({ examples: ['update'] }),
    changes: Type.Object(
      {},
      { additionalProperties: true, description: 'What the request asked to change.' },
    ),
    key_id: Type.Union([Type.Integer(), Type.Null()]),
    key_name: Type.Union([Type.String(), Type.Null()], { examples: ['editor'] }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/audit',
    {
      config: { access: { scope: 'admin' } },
      schema: {
        tags: ['keys'],
        operationId: 'listAudit',
        summary: 'Who changed which source or category, newest first',
        querystring: Type.Object(
          {
            resource: Type.Optional(Type.Enum(['source', 'category'])),
            resource_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(AuditEntrySchema) }), ...problemResponses(403) },
      },
    },
    async (request) => {
      const { resource, resource_id, limit = 50 } = request.query;
      return {
        data: await listAudit(request.db, {
          limit,
          ...(resource ? { resource } : {}),
          ...(resource_id !== undefined ? { resourceId: resource_id } : {}),
        }),
      };
    },
  );
};
