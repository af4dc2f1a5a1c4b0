import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../../http/access.ts';
import { ifMatchCheck, setRevisionEtag } from '../../http/etags.ts';
import { setNextLink } from '../../http/links.ts';
import { invalid, notFound } from '../../http/problems.ts';
import {
  IdOrSlugParams,
  IfMatchHeaders,
  PageMetaSchema,
  pagingQuery,
  problemResponses,
  ref,
} from '../../http/schemas.ts';
import {
  breadcrumbsFor,
  categoryTree,
  createCategory,
  deleteCategory,
  findCategory,
  listCategories,
  updateCategory,
} from './repository.ts';
import {
  BreadcrumbSchema,
  CATEGORY_SORTS,
  CategoryCreateSchema,
  CategoryPatchSchema,
  CategorySchema,
  CategoryTreeNodeSchema,
} from './schemas.ts';

const tags = ['categories'];
const write = { access: { scope: 'content:write' } } as const;

export const categoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/categories',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'listCategories',
        summary: 'List categories (flat)',
        querystring: Type.Object(
          {
            ...pagingQuery,
            parent: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'Only the children of this category (id or slug).',
              }),
            ),
            sort: Type.Optional(
              Type.Enum(CATEGORY_SORTS, {
                default: 'position',
                description: 'Order: by position among siblings, or by name.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ref(CategorySchema)), meta: ref(PageMetaSchema) }),
          ...problemResponses(),
        },
      },
    },
    async (request, reply) => {
      const { parent, sort = 'position', ...page } = request.query;
      let parentId: number | undefined;
      if (parent !== undefined) {
        const found = await findCategory(request.db, parent);
        if (!found)
          throw invalid([{ path: '/parent', location: 'query', message: `no category '${parent}'` }]);
        parentId = found.id;
      }
      const result = await listCategories(
        request.db,
        { ...(parentId !== undefined ? { parentId } : {}) },
        sort,
        page,
      );
      setNextLink(request, reply, app.config.publicBaseUrl, result.next);
      return { data: result.rows, meta: result.meta };
    },
  );

  app.get(
    '/v1/categories/tree',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getCategoryTree',
        summary: 'The whole category tree, children ordered by position',
        response: {
          200: Type.Object({ data: Type.Array(ref(CategoryTreeNodeSchema)) }),
          ...problemResponses(),
        },
      },
    },
    async (request) => ({ data: await categoryTree(request.db) }),
  );

  app.get(
    '/v1/categories/:idOrSlug',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getCategory',
        summary: 'Get a category by id or slug',
        params: IdOrSlugParams,
        response: { 200: Type.Object({ data: ref(CategorySchema) }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const category = await findCategory(request.db, request.params.idOrSlug);
      if (!category) throw notFound('category', request.params.idOrSlug);
      setRevisionEtag(reply, 'category', category);
      return { data: category };
    },
  );

  app.get(
    '/v1/categories/:idOrSlug/breadcrumbs',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getCategoryBreadcrumbs',
        summary: 'The root-to-category path',
        params: IdOrSlugParams,
        response: { 200: Type.Object({ data: Type.Array(ref(BreadcrumbSchema)) }), ...problemResponses(404) },
      },
    },
    async (request) => {
      const category = await findCategory(request.db, request.params.idOrSlug);
      if (!category) throw notFound('category', request.params.idOrSlug);
      const paths = await breadcrumbsFor(request.db, [category.id]);
      return { data: paths.get(category.id) ?? [] };
    },
  );

  app.post(
    '/v1/categories',
    {
      config: write,
      schema: {
        tags,
        operationId: 'createCategory',
        summary: 'Create a category',
        body: ref(CategoryCreateSchema),
        response: {
          201: Type.Object({ data: ref(CategorySchema) }),
          ...problemResponses(403, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const category = await createCategory(request.db, request.body, actorOf(request));
      reply.code(201).header('location', `${app.config.publicBaseUrl}/v1/categories/${category.id}`);
      setRevisionEtag(reply, 'category', category);
      return { data: category };
    },
  );

  app.patch(
    '/v1/categories/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'updateCategory',
        summary: 'Update or move a category (JSON Merge Patch)',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        body: ref(CategoryPatchSchema),
        response: {
          200: Type.Object({ data: ref(CategorySchema) }),
          ...problemResponses(403, 404, 409, 412, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const category = await updateCategory(
        request.db,
        request.params.idOrSlug,
        request.body,
        ifMatchCheck(request, 'category'),
        actorOf(request),
      );
      if (!category) throw notFound('category', request.params.idOrSlug);
      setRevisionEtag(reply, 'category', category);
      return { data: category };
    },
  );

  app.delete(
    '/v1/categories/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'deleteCategory',
        summary: 'Delete a category with no children and no articles',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problemResponses(403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      if (
        !(await deleteCategory(
          request.db,
          request.params.idOrSlug,
          ifMatchCheck(request, 'category'),
          actorOf(request),
        ))
      )
        throw notFound('category', request.params.idOrSlug);
      return reply.code(204).send(null);
    },
  );
};
