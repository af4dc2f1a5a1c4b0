import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../http/problems.ts';
import { problemResponses, ref } from '../../http/schemas.ts';
import { plainText } from '../../http/text.ts';
import { createKey, listKeys, revokeKey, SCOPES } from './repository.ts';

export const ApiKeySchema = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    name: Type.String({ examples: ['editor'] }),
    prefix: Type.String({
      description: 'The first characters of the secret, to recognise it.',
      examples: ['nd_Xk3vQ9a'],
    }),
    scopes: Type.Array(Type.Enum(SCOPES)),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'ApiKey', additionalProperties: false, description: 'An API key, without its secret.' },
);

const admin = { access: { scope: 'admin' } } as const;
const tags = ['keys'];

export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/keys',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'listKeys',
        summary: 'List API keys (never their secrets)',
        response: {
          200: Type.Object({ data: Type.Array(ref(ApiKeySchema)) }),
          ...problemResponses(401, 403),
        },
      },
    },
    async (request) => ({ data: await listKeys(request.db) }),
  );

  app.post(
    '/v1/keys',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'createKey',
        summary: 'Create an API key; its secret is shown only in this response',
        body: Type.Object(
          {
            name: plainText({ maxLength: 100, nonBlank: true, examples: ['editor'] }),
            scopes: Type.Array(Type.Enum(SCOPES), {
              minItems: 1,
              maxItems: 3,
              examples: [['content:write']],
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            data: ref(ApiKeySchema),
            secret: Type.String({
              description: 'Send as `Authorization: Bearer <secret>`. Not retrievable later.',
            }),
          }),
          ...problemResponses(401, 403, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const { key, secret } = await createKey(request.db, request.body);
      reply.code(201);
      return { data: key, secret };
    },
  );

  app.delete(
    '/v1/keys/:idOrPrefix',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'revokeKey',
        summary: 'Revoke an API key (it stops working at once)',
        params: Type.Object(
          { idOrPrefix: Type.String({ minLength: 1, maxLength: 100, description: 'Key id or prefix.' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: ref(ApiKeySchema) }), ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const key = await revokeKey(request.db, request.params.idOrPrefix);
      if (!key) throw notFound('API key', request.params.idOrPrefix);
      return { data: key };
    },
  );
};
