import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problemResponses } from '../../http/schemas.ts';
import { parseSearch, resolveFilter } from '../articles/filters.ts';
import { ARTICLE_COLUMNS, listArticles } from '../articles/repository.ts';
import { findCategory } from '../categories/repository.ts';
import { type FeedArticle, type FeedFormat, renderFeed } from './build.ts';

const FORMATS: Record<FeedFormat, { path: string; type: string; summary: string }> = {
  rss: {
    path: '/v1/feeds/rss.xml',
    type: 'application/rss+xml',
    summary: 'RSS 2.0 feed of the latest public articles',
  },
  atom: {
    path: '/v1/feeds/atom.xml',
    type: 'application/atom+xml',
    summary: 'Atom feed of the latest public articles',
  },
  json: {
    path: '/v1/feeds/feed.json',
    type: 'application/feed+json',
    summary: 'JSON Feed 1.1 of the latest public articles',
  },
};

const FeedQuery = Type.Object(
  {
    category: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Category id or slug (with its subcategories).',
      }),
    ),
    source: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'Source id or slug; a comma list matches any.',
      }),
    ),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    lang: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 35,
        description: 'BCP 47 language tag; also the feed language.',
      }),
    ),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Only articles matching this search.' }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Newest articles to include.' }),
    ),
  },
  { additionalProperties: false },
);

/** JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): a JSON document, so its schema is an object. */
const JsonFeedSchema = Type.Object(
  {
    version: Type.Literal('https://jsonfeed.org/version/1.1'),
    title: Type.String(),
    home_page_url: Type.Optional(Type.String({ format: 'uri' })),
    feed_url: Type.Optional(Type.String({ format: 'uri' })),
    language: Type.Optional(Type.String()),
    items: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          url: Type.Optional(Type.String({ format: 'uri' })),
          title: Type.Optional(Type.String()),
          content_html: Type.Optional(Type.String()),
          summary: Type.Optional(Type.String()),
          date_published: Type.Optional(Type.String({ format: 'date-time' })),
          tags: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export const feedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const [format, { path, type, summary }] of Object.entries(FORMATS) as [
    FeedFormat,
    (typeof FORMATS)[FeedFormat],
  ][]) {
    app.get(
      path,
      {
        config: { access: 'public' },
        schema: {
          tags: ['feeds'],
          operationId: `${format}Feed`,
          summary,
          description:
            'The same filters as `GET /v1/articles`; newest first. Links are absolute, built from `PUBLIC_BASE_URL` and `ARTICLE_URL_TEMPLATE`.',
          querystring: FeedQuery,
          produces: [type],
          response: {
            200: {
              description: `The feed, as ${type}.`,
              content: { [type]: { schema: format === 'json' ? JsonFeedSchema : Type.String() } },
            },
            ...problemResponses(),
          },
        },
      },
      async (request, reply) => {
        const { q, limit = 20, ...filters } = request.query;
        const search = parseSearch(q);
        const filter = await resolveFilter(request.db, filters);
        if (search) filter.search = search.tsquery;
        const { rows } = await listArticles(request.db, filter, '-published_at', ARTICLE_COLUMNS, { limit });
        const articles = rows as FeedArticle[];

        const base = app.config.publicBaseUrl;
        // Re-encoded rather than echoed, so a sloppy query (`q=%ZZ`) still gives valid feed URLs.
        const params = new URLSearchParams(new URL(request.url, 'http://placeholder').search).toString();
        const query = params ? `?${params}` : '';
        const category = filters.category ? await findCategory(request.db, filters.category) : undefined;
        const title = category ? `${app.config.siteTitle} · ${category.name}` : app.config.siteTitle;
        const body = renderFeed(
          format,
          {
            title,
            description: category?.description || `Latest articles from ${title}`,
            homeUrl: `${base}/`,
            feedUrls: {
              rss: `${base}${FORMATS.rss.path}${query}`,
              atom: `${base}${FORMATS.atom.path}${query}`,
              json: `${base}${FORMATS.json.path}${query}`,
            },
            ...(filters.lang ? { language: filters.lang } : {}),
            articleUrl: (article) =>
              app.config.articleUrlTemplate
                .replaceAll('{slug}', encodeURIComponent(article.slug))
                .replaceAll('{id}', String(article.id)),
          },
          articles,
        );
        return reply.type(`${type}; charset=utf-8`).send(body);
      },
    );
  }
};
