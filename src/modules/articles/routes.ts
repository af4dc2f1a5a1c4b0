import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { actorOf, requireScope } from '../../http/access.ts';
import { ifMatchCheck, ifNoneMatchHits, listEtag, revisionEtag, setRevisionEtag } from '../../http/etags.ts';
import { setNextLink } from '../../http/links.ts';
import { conflict, invalid, notFound } from '../../http/problems.ts';
import {
  IdOrSlugParams,
  IfMatchHeaders,
  PageMetaSchema,
  pagingQuery,
  problemResponses,
  ref,
} from '../../http/schemas.ts';
import { highlight } from '../search/highlight.ts';
import { parseSearch, resolveFilter } from './filters.ts';
import { relatedArticles } from './related.ts';
import {
  ARTICLE_COLUMNS,
  type ArticleColumn,
  findArticle,
  findArticleVersion,
  listArticles,
  loadBreadcrumbs,
  neighbors,
} from './repository.ts';
import { findRevision, listRevisions } from './revisions.ts';
import {
  ARTICLE_INCLUDES,
  ARTICLE_SORTS,
  ArticleCreateSchema,
  type ArticleInclude,
  ArticleLinkSchema,
  ArticleListItemSchema,
  ArticlePatchSchema,
  ArticleRevisionSchema,
  ArticleSchema,
  LISTING_STATUSES,
} from './schemas.ts';
import {
  createArticle,
  purgeArticle,
  restoreFromTrash,
  restoreRevision,
  trashArticle,
  updateArticle,
} from './service.ts';

const tags = ['articles'];
const write = { access: { scope: 'content:write' } } as const;

const includeParam = Type.String({
  maxLength: 200,
  description: `Comma-separated related objects to embed in each item: ${ARTICLE_INCLUDES.join(', ')}. Source and category are joined into the articles' own query; breadcrumbs cost one more query, whatever the page size.`,
  examples: ['source,category'],
});

/** Splits a comma list and checks each entry, naming the first unknown one. */
function commaList<T extends string>(raw: string | undefined, allowed: readonly T[], param: string): T[] {
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.find((item) => !allowed.includes(item as T));
  if (unknown !== undefined) {
    throw invalid([
      {
        path: `/${param}`,
        location: 'query',
        message: `has unknown entry '${unknown}'; allowed: ${allowed.join(', ')}`,
      },
    ]);
  }
  return [...new Set(items)] as T[];
}

export const articleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const htmlPolicy = { iframeHosts: app.config.iframeHosts };
  app.get(
    '/v1/articles',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'listArticles',
        summary: 'List articles, latest first',
        description:
          'Public readers see published articles whose `published_at` has come. Other statuses need a key with `content:read`.',
        querystring: Type.Object(
          {
            ...pagingQuery,
            q: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description:
                  'Full-text search in title, summary and body. Chinese needs no spaces (超级计算机, 计算, 计) and finds simplified and traditional alike; English is case-insensitive and word-based. Terms are AND-ed; "quoted words" match as a phrase. Sorts by relevance unless `sort` says otherwise; each item gets a `highlight`.',
                examples: ['超级计算机', '谷歌 TPU'],
              }),
            ),
            category: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'Category id or slug.',
                examples: ['news-center'],
              }),
            ),
            descendants: Type.Optional(
              Type.Boolean({
                default: true,
                description: 'With `category`: include articles of its subcategories.',
              }),
            ),
            source: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 1000,
                description: 'Source id or slug; a comma list matches any.',
                examples: ['ithome'],
              }),
            ),
            tag: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 50,
                description: 'Articles with this tag.',
                examples: ['TPU'],
              }),
            ),
            lang: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 35,
                description: 'BCP 47 language tag.',
                examples: ['zh-Hant'],
              }),
            ),
            status: Type.Optional(
              Type.Enum(LISTING_STATUSES, {
                description:
                  '`published` (the default) is public; `draft`, `archived` and `trashed` need `content:read`.',
              }),
            ),
            published_after: Type.Optional(
              Type.String({
                format: 'date-time',
                description: 'Published at or after this time.',
                examples: ['2023-04-01T00:00:00+08:00'],
              }),
            ),
            published_before: Type.Optional(
              Type.String({
                format: 'date-time',
                description: 'Published strictly before this time.',
                examples: ['2023-05-01T00:00:00+08:00'],
              }),
            ),
            sort: Type.Optional(
              Type.Enum(ARTICLE_SORTS, {
                description:
                  'Order; ties break on id so the order is total. Default: `relevance` with `q` (title matches first, then the others; newest first within each), else `-published_at`.',
              }),
            ),
            include: Type.Optional(includeParam),
            fields: Type.Optional(
              Type.String({
                maxLength: 500,
                description: `Comma-separated article properties to return (id is always returned): ${ARTICLE_COLUMNS.join(', ')}.`,
                examples: ['id,title,published_at'],
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ref(ArticleListItemSchema)), meta: ref(PageMetaSchema) }),
          ...problemResponses(403),
        },
      },
    },
    async (request, reply) => {
      const {
        q,
        sort = q === undefined ? '-published_at' : 'relevance',
        include,
        fields,
        limit,
        cursor,
        page,
        total,
        ...filters
      } = request.query;
      if (filters.status && filters.status !== 'published') {
        requireScope(request, 'content:read', 'Listing unpublished articles');
      }
      const search = parseSearch(q);
      if (sort === 'relevance' && !search) {
        throw invalid([{ path: '/sort', location: 'query', message: 'relevance needs a search (q=)' }]);
      }
      const includes = new Set<ArticleInclude>(commaList(include, ARTICLE_INCLUDES, 'include'));
      const requested =
        fields === undefined ? [...ARTICLE_COLUMNS] : commaList(fields, ARTICLE_COLUMNS, 'fields');
      const columns = new Set<ArticleColumn>(['id', ...requested]);
      if (includes.has('breadcrumbs')) columns.add('category_id');
      if (search) for (const column of ['title', 'summary', 'body_text'] as const) columns.add(column);
      columns.add('revision'); // for the listing's ETag

      const filter = await resolveFilter(request.db, filters);
      if (search) filter.search = search.tsquery;
      const result = await listArticles(
        request.db,
        filter,
        sort,
        [...columns],
        { limit, cursor, page, total },
        includes,
      );
      const breadcrumbs = includes.has('breadcrumbs') ? await loadBreadcrumbs(request.db, result.rows) : [];
      // What was fetched only for includes, highlights or the ETag is left out.
      const keep = [...new Set<ArticleColumn>(['id', ...requested])];
      const joined = (['source', 'category'] as const).filter((name) => includes.has(name));
      const data = result.rows.map((row, i) => {
        const item: Record<string, unknown> = {};
        for (const key of keep) item[key] = row[key];
        for (const name of joined) item[name] = row[name];
        if (search) item.highlight = highlight(row, search.terms);
        if (breadcrumbs[i]) item.breadcrumbs = breadcrumbs[i];
        return item as typeof row;
      });
      setNextLink(request, reply, app.config.publicBaseUrl, result.next);
      // Breadcrumbs carry ancestors' names, which no revision here covers: that body is hashed instead.
      if (!includes.has('breadcrumbs')) {
        const version = (resource?: { id: number; revision: number } | null) =>
          resource ? [resource.id, resource.revision] : null;
        const versions = result.rows.map((row) => [
          row.id,
          row.revision,
          version(row.source),
          version(row.category),
        ]);
        reply.header('etag', listEtag(request.url, [versions, result.meta]));
      }
      return { data, meta: result.meta };
    },
  );

  app.get(
    '/v1/articles/:idOrSlug',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getArticle',
        summary: 'Get an article by id or slug',
        description:
          'Public readers get published articles whose time has come; a key with `content:read` gets any.',
        params: IdOrSlugParams,
        querystring: Type.Object({ include: Type.Optional(includeParam) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: ref(ArticleSchema) }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const includes = new Set<ArticleInclude>(commaList(request.query.include, ARTICLE_INCLUDES, 'include'));
      const visibility = request.hasScope('content:read') ? 'any' : 'public';
      if (includes.size === 0 && request.headers['if-none-match'] !== undefined) {
        // A client revalidating its copy: two integers settle it, without loading or serialising the body.
        const current = await findArticleVersion(request.db, request.params.idOrSlug, visibility);
        if (current && ifNoneMatchHits(request, revisionEtag('article', current))) {
          setRevisionEtag(reply, 'article', current);
          // 304 is declared for every GET (problemResponses); the route's own type lists only its bodies.
          return (reply as FastifyReply).code(304).send();
        }
      }
      const article = await findArticle(request.db, request.params.idOrSlug, visibility, includes);
      if (!article) throw notFound('article', request.params.idOrSlug);
      // Without include the body is the row alone, so its revision identifies it; with include, the
      // ETag is a hash of the body (related objects change on their own).
      if (includes.size === 0) setRevisionEtag(reply, 'article', article);
      if (!includes.has('breadcrumbs')) return { data: article };
      const [breadcrumbs] = await loadBreadcrumbs(request.db, [article]);
      return { data: { ...article, breadcrumbs } };
    },
  );

  app.get(
    '/v1/articles/:idOrSlug/neighbors',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getArticleNeighbors',
        summary: 'The previous and next public article in the same category (上一篇 / 下一篇)',
        description:
          '`previous` was published just before this article, `next` just after; `null` at either end.',
        params: IdOrSlugParams,
        response: {
          200: Type.Object({
            data: Type.Object(
              {
                previous: Type.Union([ref(ArticleLinkSchema), Type.Null()]),
                next: Type.Union([ref(ArticleLinkSchema), Type.Null()]),
              },
              { additionalProperties: false },
            ),
          }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const article = await findArticle(request.db, request.params.idOrSlug, 'public');
      if (!article) throw notFound('article', request.params.idOrSlug);
      return { data: await neighbors(request.db, article) };
    },
  );

  app.get(
    '/v1/articles/:idOrSlug/related',
    {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'getRelatedArticles',
        summary: 'Public articles that share the most with this one (category, tags, title terms)',
        description:
          'Best first; never the article itself. Items carry every property but `body_html` and `body_text`.',
        params: IdOrSlugParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'How many.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ref(ArticleListItemSchema)) }),
          ...problemResponses(404),
        },
      },
    },
    async (request) => {
      const article = await findArticle(request.db, request.params.idOrSlug, 'public');
      if (!article) throw notFound('article', request.params.idOrSlug);
      return { data: await relatedArticles(request.db, article, request.query.limit ?? 5) };
    },
  );

  app.post(
    '/v1/articles',
    {
      config: write,
      schema: {
        tags,
        operationId: 'createArticle',
        summary: 'Create an article',
        description:
          '`body_html` is sanitised; `body_text` and (when omitted) `summary` are derived from it.',
        body: ref(ArticleCreateSchema),
        response: {
          201: Type.Object({ data: ref(ArticleSchema) }),
          ...problemResponses(403, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const article = await createArticle(request.db, request.body, htmlPolicy);
      reply.code(201).header('location', `${app.config.publicBaseUrl}/v1/articles/${article.id}`);
      setRevisionEtag(reply, 'article', article);
      return { data: article };
    },
  );

  app.patch(
    '/v1/articles/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'updateArticle',
        summary: 'Update an article (JSON Merge Patch)',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        body: ref(ArticlePatchSchema),
        response: {
          200: Type.Object({ data: ref(ArticleSchema) }),
          ...problemResponses(403, 404, 409, 412, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const article = await updateArticle(request.db, request.params.idOrSlug, request.body, {
        check: ifMatchCheck(request, 'article'),
        actor: actorOf(request),
        html: htmlPolicy,
      });
      if (!article) throw notFound('article', request.params.idOrSlug);
      setRevisionEtag(reply, 'article', article);
      return { data: article };
    },
  );

  app.delete(
    '/v1/articles/:idOrSlug',
    {
      config: write,
      schema: {
        tags,
        operationId: 'deleteArticle',
        summary: 'Move an article to the trash (or, with purge=true and the admin scope, delete it for good)',
        description:
          'A trashed article disappears from every read, keeps its revisions, and comes back with `POST .../restore`. Only `purge=true` (admin) deletes it.',
        params: IdOrSlugParams,
        headers: IfMatchHeaders,
        querystring: Type.Object(
          {
            purge: Type.Optional(
              Type.Boolean({ default: false, description: 'Delete for good (admin scope).' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          204: Type.Null({ description: 'Trashed (or purged).' }),
          ...problemResponses(403, 404, 412),
        },
      },
    },
    async (request, reply) => {
      const check = ifMatchCheck(request, 'article');
      let done: boolean;
      if (request.query.purge) {
        requireScope(request, 'admin', 'Purging an article');
        done = await purgeArticle(request.db, request.params.idOrSlug, check);
      } else {
        done = await trashArticle(request.db, request.params.idOrSlug, { check, actor: actorOf(request) });
      }
      if (!done) throw notFound('article', request.params.idOrSlug);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/articles/:idOrSlug/restore',
    {
      config: write,
      schema: {
        tags,
        operationId: 'restoreArticle',
        summary: 'Take an article out of the trash',
        params: IdOrSlugParams,
        response: { 200: Type.Object({ data: ref(ArticleSchema) }), ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const article = await restoreFromTrash(request.db, request.params.idOrSlug, actorOf(request));
      if (!article) throw notFound('article', request.params.idOrSlug);
      if (article === 'not-trashed') throw conflict('not-trashed', 'The article is not in the trash.');
      setRevisionEtag(reply, 'article', article);
      return { data: article };
    },
  );

  const revisionParams = Type.Object(
    {
      idOrSlug: IdOrSlugParams.properties.idOrSlug,
      revision: Type.Integer({ minimum: 1, maximum: 2147483647 }),
    },
    { additionalProperties: false },
  );

  app.get(
    '/v1/articles/:idOrSlug/revisions',
    {
      config: { access: { scope: 'content:read' } },
      schema: {
        tags,
        operationId: 'listArticleRevisions',
        summary: 'Earlier versions of an article: who changed it (which key) and when',
        params: IdOrSlugParams,
        response: {
          200: Type.Object({ data: Type.Array(ref(ArticleRevisionSchema)) }),
          ...problemResponses(403, 404),
        },
      },
    },
    async (request) => {
      const article = await findArticle(request.db, request.params.idOrSlug, 'any');
      if (!article) throw notFound('article', request.params.idOrSlug);
      return { data: await listRevisions(request.db, article.id) };
    },
  );

  app.get(
    '/v1/articles/:idOrSlug/revisions/:revision',
    {
      config: { access: { scope: 'content:read' } },
      schema: {
        tags,
        operationId: 'getArticleRevision',
        summary: 'The article as it was at a revision',
        params: revisionParams,
        response: {
          200: Type.Object({
            data: Type.Object({ ...ArticleRevisionSchema.properties, article: ref(ArticleSchema) }),
          }),
          ...problemResponses(403, 404),
        },
      },
    },
    async (request) => {
      const article = await findArticle(request.db, request.params.idOrSlug, 'any');
      if (!article) throw notFound('article', request.params.idOrSlug);
      const saved = await findRevision(request.db, article.id, request.params.revision);
      if (!saved) throw notFound('revision', request.params.revision);
      const { snapshot, ...revision } = saved;
      return { data: { ...revision, article: snapshot } };
    },
  );

  app.post(
    '/v1/articles/:idOrSlug/revisions/:revision/restore',
    {
      config: write,
      schema: {
        tags,
        operationId: 'restoreArticleRevision',
        summary: 'Put back an earlier revision (itself a new revision)',
        params: revisionParams,
        headers: IfMatchHeaders,
        response: { 200: Type.Object({ data: ref(ArticleSchema) }), ...problemResponses(403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const { idOrSlug, revision } = request.params;
      const article = await restoreRevision(request.db, idOrSlug, revision, {
        check: ifMatchCheck(request, 'article'),
        actor: actorOf(request),
        html: htmlPolicy,
      });
      if (!article) throw notFound('article', idOrSlug);
      if (article === 'no-revision') throw notFound('revision', revision);
      setRevisionEtag(reply, 'article', article);
      return { data: article };
    },
  );
};
