import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { ArticleRow, ArticleStatus, Database, SourceRow } from '../../db/types.ts';
import { type PageRequest, paginate, type SortSpec } from '../../http/paging.ts';
import { type Breadcrumb, breadcrumbsFor, categoryColumns, subtreeIds } from '../categories/repository.ts';
import { idOrSlugFilter } from '../slugs.ts';
import type { ArticleInclude, ArticleSort } from './schemas.ts';

export const ARTICLE_COLUMNS = [
  'id',
  'slug',
  'title',
  'summary',
  'body_html',
  'body_text',
  'cover_image',
  'author',
  'lang',
  'tags',
  'status',
  'published_at',
  'source_id',
  'source_url',
  'category_id',
  'created_at',
  'updated_at',
  'revision',
] as const;
export type ArticleColumn = (typeof ARTICLE_COLUMNS)[number];

const sourceColumns = [
  'sources.id',
  'sources.slug',
  'sources.name',
  'sources.homepage_url',
  'sources.description',
  'sources.created_at',
  'sources.updated_at',
  'sources.revision',
] as const;

export interface ArticleFilter {
  /** Public readers see only published articles whose time has come. */
  status: ArticleStatus | 'public';
  categoryIds?: RawBuilder<number> | number[];
  sourceIds?: number[];
  tag?: string;
  lang?: string;
  publishedAfter?: string;
  publishedBefore?: string;
  /** A tsquery literal from the search tokeniser. */
  search?: string;
}

type ArticleQuery = SelectQueryBuilder<Database, 'articles', object>;

export function applyArticleFilter(query: ArticleQuery, filter: ArticleFilter): ArticleQuery {
  let q = query;
  if (filter.status === 'public') {
    q = q.where('articles.status', '=', 'published').where('articles.published_at', '<=', sql<string>`now()`);
  } else {
    q = q.where('articles.status', '=', filter.status);
  }
  if (filter.categoryIds !== undefined) {
    const ids = filter.categoryIds;
    q = Array.isArray(ids)
      ? q.where('articles.category_id', 'in', ids)
      : q.where('articles.category_id', 'in', ids);
  }
  if (filter.sourceIds) q = q.where('articles.source_id', 'in', filter.sourceIds);
  if (filter.tag !== undefined) q = q.where(sql<boolean>`articles.tags @> array[${filter.tag}]::text[]`);
  if (filter.lang !== undefined) q = q.where('articles.lang', '=', filter.lang);
  if (filter.publishedAfter !== undefined) {
    q = q.where('articles.published_at', '>=', sql<string>`cast(${filter.publishedAfter} as timestamptz)`);
  }
  if (filter.publishedBefore !== undefined) {
    q = q.where('articles.published_at', '<', sql<string>`cast(${filter.publishedBefore} as timestamptz)`);
  }
  if (filter.search !== undefined) {
    q = q.where(sql<boolean>`articles.search_vector @@ cast(${filter.search} as tsquery)`);
  }
  return q;
}

const articleId = sql`articles.id`;

function sortSpec(sort: ArticleSort, onlyPublished: boolean): SortSpec {
  // Unpublished articles may have no published_at; they sort as if newest so editors see drafts first.
  const publishedAt = onlyPublished
    ? sql`articles.published_at`
    : sql`coalesce(articles.published_at, 'infinity')`;
  switch (sort) {
    case 'published_at':
      return {
        name: sort,
        direction: 'asc',
        keys: [{ expression: publishedAt, field: 'sort_key', kind: 'timestamp' }],
        idExpression: articleId,
      };
    case '-updated_at':
      return {
        name: sort,
        direction: 'desc',
        keys: [{ expression: sql`articles.updated_at`, field: 'sort_key', kind: 'timestamp' }],
        idExpression: articleId,
      };
    case 'title':
      return {
        name: sort,
        direction: 'asc',
        keys: [{ expression: sql`articles.title`, field: 'sort_key', kind: 'text' }],
        idExpression: articleId,
      };
    default:
      return {
        name: '-published_at',
        direction: 'desc',
        keys: [{ expression: publishedAt, field: 'sort_key', kind: 'timestamp' }],
        idExpression: articleId,
      };
  }
}

export type ListedArticle = Partial<ArticleRow> & { id: number; sort_key?: unknown };

/** Relevance is ranked over the newest matches only: ranking every match of a common term costs seconds. */
export const RELEVANCE_CANDIDATES = 1000;
/** Searches count exactly up to this many matches; beyond, the total is given as an estimate. */
export const SEARCH_COUNT_CAP = 10000;

/**
 * A title match outranks any number of matches elsewhere; within each tier, ts_rank (normalised to 0..1)
 * orders, then recency.
 */
function relevance(search: string) {
  const query = sql`cast(${search} as tsquery)`;
  return sql<number>`(
    (case when ts_filter(articles.search_vector, '{a}') @@ ${query} then 2 else 0 end)
    + ts_rank('{0.1, 0.2, 0.4, 1.0}', articles.search_vector, ${query}, 32)
  )::real`;
}

function relevanceSpec(): SortSpec {
  return {
    name: 'relevance',
    direction: 'desc',
    keys: [
      { expression: sql`articles.relevance`, field: 'relevance', kind: 'real' },
      { expression: sql`articles.published_at`, field: 'sort_published_at', kind: 'timestamp' },
    ],
    idExpression: articleId,
  };
}

async function listByRelevance(
  db: Kysely<Database>,
  filter: ArticleFilter & { search: string },
  columns: readonly ArticleColumn[],
  page: PageRequest,
) {
  const matching = applyArticleFilter(db.selectFrom('articles'), filter);
  const candidates = matching
    .select(ARTICLE_COLUMNS.map((column) => `articles.${column}` as const))
    .select(relevance(filter.search).as('relevance'))
    .orderBy('articles.published_at', 'desc')
    .orderBy('articles.id', 'desc')
    .limit(RELEVANCE_CANDIDATES)
    .as('articles');
  const ranked = db.selectFrom(candidates) as unknown as SelectQueryBuilder<Database, 'articles', object>;
  return paginate<ListedArticle>(
    db,
    ranked,
    (query) =>
      query
        .select(columns.map((column) => sql.ref(`articles.${column}`).as(column)))
        .select(['articles.relevance', sql`articles.published_at`.as('sort_published_at')]),
    relevanceSpec(),
    { ...page, counted: matching, countCap: SEARCH_COUNT_CAP },
  );
}

export async function listArticles(
  db: Kysely<Database>,
  filter: ArticleFilter,
  sort: ArticleSort,
  columns: readonly ArticleColumn[],
  page: PageRequest,
) {
  if (sort === 'relevance') {
    if (filter.search === undefined) throw new Error('relevance needs a search');
    return listByRelevance(db, { ...filter, search: filter.search }, columns, page);
  }
  const spec = sortSpec(sort, filter.status === 'public' || filter.status === 'published');
  const sortKey = spec.keys[0]?.expression ?? articleId;
  const filtered = applyArticleFilter(db.selectFrom('articles'), filter);
  return paginate<ListedArticle>(
    db,
    filtered,
    (query) =>
      query
        .select(columns.map((column) => `articles.${column}` as const))
        .select(sql`${sortKey}`.as('sort_key')) as unknown as SelectQueryBuilder<
        Database,
        'articles',
        ListedArticle
      >,
    spec,
    { ...page, ...(filter.search !== undefined ? { countCap: SEARCH_COUNT_CAP } : {}) },
  );
}

export async function findArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  visibility: 'public' | 'any',
): Promise<ArticleRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  let query = db.selectFrom('articles').select(ARTICLE_COLUMNS).where(column, '=', value);
  if (visibility === 'public') {
    query = query.where('status', '=', 'published').where('published_at', '<=', sql<string>`now()`);
  }
  return query.executeTakeFirst();
}

export interface Related {
  source?: SourceRow | null;
  category?: Awaited<ReturnType<typeof categoriesByIds>> extends Map<number, infer C> ? C | null : never;
  breadcrumbs?: Breadcrumb[];
}

async function categoriesByIds(db: Kysely<Database>, ids: number[]) {
  const rows = ids.length
    ? await db.selectFrom('categories').select(categoryColumns).where('categories.id', 'in', ids).execute()
    : [];
  return new Map(rows.map((row) => [row.id, row]));
}

async function sourcesByIds(db: Kysely<Database>, ids: number[]) {
  const rows = ids.length
    ? await db.selectFrom('sources').select(sourceColumns).where('sources.id', 'in', ids).execute()
    : [];
  return new Map(rows.map((row) => [row.id, row]));
}

/** Loads what `include=` asks for in one query per kind, whatever the number of articles. */
export async function loadIncludes(
  db: Kysely<Database>,
  articles: { source_id?: number | null; category_id?: number | null }[],
  include: ReadonlySet<ArticleInclude>,
): Promise<Related[]> {
  const ids = (key: 'source_id' | 'category_id') => [
    ...new Set(articles.map((a) => a[key]).filter((id): id is number => typeof id === 'number')),
  ];
  const [sources, categories, paths] = await Promise.all([
    include.has('source') ? sourcesByIds(db, ids('source_id')) : undefined,
    include.has('category') ? categoriesByIds(db, ids('category_id')) : undefined,
    include.has('breadcrumbs') ? breadcrumbsFor(db, ids('category_id')) : undefined,
  ]);
  return articles.map((article) => {
    const related: Related = {};
    if (sources) related.source = (article.source_id && sources.get(article.source_id)) || null;
    if (categories) related.category = (article.category_id && categories.get(article.category_id)) || null;
    if (paths) related.breadcrumbs = (article.category_id && paths.get(article.category_id)) || [];
    return related;
  });
}

export interface ArticleLink {
  id: number;
  slug: string;
  title: string;
  published_at: string;
}

/** The public articles just before and just after this one in its category (上一篇 / 下一篇). */
export async function neighbors(db: Kysely<Database>, article: ArticleRow) {
  const side = (direction: 'before' | 'after') => {
    let query = applyArticleFilter(db.selectFrom('articles'), { status: 'public' })
      .select(['articles.id', 'articles.slug', 'articles.title', 'articles.published_at'])
      .where(
        article.category_id === null
          ? sql<boolean>`articles.category_id is null`
          : sql<boolean>`articles.category_id = ${article.category_id}`,
      );
    const position = sql`(${article.published_at}::timestamptz, ${article.id}::int)`;
    query =
      direction === 'before'
        ? query
            .where(sql<boolean>`(articles.published_at, articles.id) < ${position}`)
            .orderBy('articles.published_at', 'desc')
            .orderBy('articles.id', 'desc')
        : query
            .where(sql<boolean>`(articles.published_at, articles.id) > ${position}`)
            .orderBy('articles.published_at', 'asc')
            .orderBy('articles.id', 'asc');
    return query.limit(1).executeTakeFirst() as Promise<ArticleLink | undefined>;
  };
  const [previous, next] = await Promise.all([side('before'), side('after')]);
  return { previous: previous ?? null, next: next ?? null };
}

export { subtreeIds };
