import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../../http/access.ts';
import { ifMatchCheck, setRevisionEtag } from '../../http/etags.ts';
import { setNextLink } from '../../http/links.ts';
import { notFound } from '../../http/problems.ts';
import {
  IdOrSlugParams,
  IfMatchHeaders,
  PageMetaSchema,
  pagingQuery,
  problemResponses,
  ref,
} from '../../http/schemas.ts';
import { createSource, deleteSource, findSource, listSources, updateSource } from './repository.ts';
import { SOURCE_SORTS, SourceCreateSchema, SourcePatchSchema, SourceSchema } from './schemas.ts';

const tags = ['sources'];
const write = { access: { scope: 'content:write' } } as const;

export const sourceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/sources',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'listSources',
        summary: 'List sources',
        querystring: Type.Object(
          {
            ...pagingQuery,
            sort: Type.Optional(
              Type.Enum(SOURCE_SORTS, { default: 'name', description: 'Order: by name, or newest first.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ref(SourceSchema)), meta: ref(PageMetaSchema) }),
          ...problemResponses(),
        },
      },
    },
    async (request, reply) => {
      const { sort = 'name', ...page } = request.query;
      const result = await listSources(request.db, sort, page);
      setNextLink(request, reply, app.config.publicBaseUrl, result.next);
      return { data: result.rows, meta: result.meta };
    },
  );

  app.get(
    '/v1/sources/:idOrSlug',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getSource',
        summary: 'Get a source by id or slug',
        params: IdOrSlugParams,
        response: { 200: Type.Object({ data: ref(SourceSchema) }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const source = await findSource(request.db, request.params.idOrSlug);
      if (!source) throw notFound('source', request.params.idOrSlug);
      setRevisionEtag(reply, 'source', source);
      return { data: source };
    },
  );

  app.post(
    '/v1/sources',
    {
      config: write,
      schema: {
        tags,
        operationId: 'createSource',
        summary: 'Create a source',
        body: ref(SourceCreateSchema),
        response: { 201: Type.Object({ data: ref(SourceSchema) }), ...problemResponses(403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const source = await createSource(request.db, request.body, actorOf(request));
      reply.code(201).header('location', `${app.config.publicBaseUrl}/v1/sources/${source.id}`);
      setRevisionEtag(reply, 'source', source);
      return { data: source };
    },
  );

  app.patch(
    '/v1/sources/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'updateSource',
        summary: 'Update a source (JSON Merge Patch)',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        body: ref(SourcePatchSchema),
        response: {
          200: Type.Object({ data: ref(SourceSchema) }),
          ...problemResponses(403, 404, 409, 412, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const source = await updateSource(
        request.db,
        request.params.idOrSlug,
        request.body,
        ifMatchCheck(request, 'source'),
        actorOf(request),
      );
      if (!source) throw notFound('source', request.params.idOrSlug);
      setRevisionEtag(reply, 'source', source);
      return { data: source };
    },
  );

  app.delete(
    '/v1/sources/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'deleteSource',
        summary: 'Delete a source that no article cites',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problemResponses(403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      if (
        !(await deleteSource(
          request.db,
          request.params.idOrSlug,
          ifMatchCheck(request, 'source'),
          actorOf(request),
        ))
      )
        throw notFound('source', request.params.idOrSlug);
      return reply.code(204).send(null);
    },
  );
};
