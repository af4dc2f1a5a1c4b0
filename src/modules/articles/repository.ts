import { type Compilable, type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { precompile } from '../../db/precompiled.ts';
import type { ArticleRow, ArticleStatus, CategoryRow, Database, SourceRow } from '../../db/types.ts';
import {
  checkPagingMode,
  countTotal,
  cursorValues,
  finishPage,
  type Page,
  type PageRequest,
  paginate,
  type SortSpec,
} from '../../http/paging.ts';
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
  /** Public readers see only published articles whose time has come; `trashed` is the trash. */
  status: ArticleStatus | 'public' | 'trashed';
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
  if (filter.status === 'trashed')
    return applyOtherFilters(q.where('articles.deleted_at', 'is not', null), filter);
  q = q.where('articles.deleted_at', 'is', null);
  if (filter.status === 'public') {
    q = q.where('articles.status', '=', 'published').where('articles.published_at', '<=', sql<string>`now()`);
  } else {
    q = q.where('articles.status', '=', filter.status);
  }
  return applyOtherFilters(q, filter);
}

function applyOtherFilters(query: ArticleQuery, filter: ArticleFilter): ArticleQuery {
  let q = query;
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

export type ListedArticle = Partial<ArticleRow> &
  Omit<Related, 'breadcrumbs'> & {
    id: number;
    sort_key?: unknown;
    sort_published_at?: string;
  };

/** A joined table's columns, each with the alias it has in a listing's row (`source.name`). */
const joinedColumns = (name: string, table: string, columns: readonly string[]) =>
  columns.map((column) => {
    const field = column.slice(table.length + 1);
    return { column, field, alias: `${name}.${field}` };
  });

/** The includes a listing joins into the page's own query; breadcrumbs, a recursive path, come after. */
const JOINED = {
  source: {
    table: 'sources',
    key: 'articles.source_id',
    columns: joinedColumns('source', 'sources', sourceColumns),
  },
  category: {
    table: 'categories',
    key: 'articles.category_id',
    columns: joinedColumns('category', 'categories', categoryColumns),
  },
} as const;
type JoinedInclude = keyof typeof JOINED;
const joinedIncludes = (include: ReadonlySet<ArticleInclude>) =>
  (Object.keys(JOINED) as JoinedInclude[]).filter((name) => include.has(name));

/**
 * Selects a listing's columns, and the source and category it includes from a join (as `source.name`
 * and so on, nested by `nestJoined`): a page with its includes is one round trip, where a query per kind
 * cost two more, each with its own planning, locks and result decoding.
 */
function selectListed(
  query: ArticleQuery,
  columns: readonly ArticleColumn[],
  include: ReadonlySet<ArticleInclude>,
) {
  let q = query.select(columns.map((column) => `articles.${column}` as const)) as ArticleQuery;
  for (const name of joinedIncludes(include)) {
    const { table, key, columns: joined } = JOINED[name];
    // The joined table's columns are selected by reference, so the builder's row type does not track them.
    const withTable = q.leftJoin(table, `${table}.id`, key) as unknown as ArticleQuery;
    q = withTable.select(joined.map(({ column, alias }) => sql.ref(column).as(alias)));
  }
  return q;
}

/** Turns a joined include's `source.name`-style columns into its object (`null` when nothing joined). */
function nestJoined<Row extends ListedArticle>(rows: Row[], include: ReadonlySet<ArticleInclude>): Row[] {
  for (const name of joinedIncludes(include)) {
    const { columns } = JOINED[name];
    for (const row of rows as unknown as Record<string, unknown>[]) {
      const object: Record<string, unknown> = {};
      for (const { field, alias } of columns) object[field] = row[alias];
      row[name] = object.id === null ? null : object;
    }
  }
  return rows;
}

/** Searches count exactly up to this many matches; beyond, the total is given as an estimate. */
export const SEARCH_COUNT_CAP = 10000;

const RELEVANCE: SortSpec = {
  name: 'relevance',
  direction: 'desc',
  keys: [
    { expression: sql`relevance`, field: 'relevance', kind: 'real' },
    { expression: sql`articles.published_at`, field: 'sort_published_at', kind: 'timestamp' },
  ],
  idExpression: articleId,
};

/**
 * Title matches are first looked for among this many newest articles. The public listing index holds
 * their title vectors, so this reads index pages only (a few hundred bytes an article), and for any term in
 * more than about one title in a thousand it finds a page of matches there, at any table size.
 */
const TITLE_PROBE_ROWS = 20000;
/** The same for the other matches, whose full vectors are read from the table: fewer, as each costs more. */
const REST_PROBE_ROWS = 1000;

/**
 * Relevance in two tiers: articles whose title matches the query (relevance 1), then every other match
 * (relevance 0); newest first within each. Ranking the big full-text vectors would decompress every match
 * of a common term, and even ranking titles meant reading every title match's row (6,000 pages for a
 * common term at a million articles). A cursor or page number says which tier to continue in.
 */
async function listByRelevance(
  db: Kysely<Database>,
  filter: ArticleFilter & { search: string },
  columns: readonly ArticleColumn[],
  include: ReadonlySet<ArticleInclude>,
  page: PageRequest,
): Promise<Page<ListedArticle>> {
  const limit = page.limit ?? 20;
  checkPagingMode(page);
  const query = sql`cast(${filter.search} as tsquery)`;
  const titleMatch = sql<boolean>`articles.search_title @@ ${query}`;
  // The title's tokens are part of the full vector: a title match needs no check of the big one.
  const { search: _search, ...otherFilters } = filter;
  const listed = applyArticleFilter(db.selectFrom('articles'), otherFilters);
  const newestFirst = <Q extends SelectQueryBuilder<Database, 'articles', object>>(q: Q) =>
    q.orderBy('articles.published_at', 'desc').orderBy('articles.id', 'desc');
  const tier = (rows: ArticleQuery, relevance: 0 | 1) =>
    newestFirst(selectListed(rows, columns, include))
      .select(sql`articles.published_at`.as('sort_published_at'))
      .select(sql<number>`${sql.lit(relevance)}::real`.as('relevance'));

  let after: RawBuilder<boolean> | undefined;
  let skipTitles = false;
  if (page.cursor !== undefined) {
    const [rank, publishedAt, id] = cursorValues(RELEVANCE, page.cursor) as [number, string, number];
    after = sql<boolean>`(articles.published_at, articles.id) < (cast(${publishedAt} as timestamptz), ${id})`;
    skipTitles = rank <= 0;
  }
  const offset = page.page !== undefined ? (page.page - 1) * limit : 0;
  type Row = ListedArticle & { relevance: number };

  /**
   * The next `count` matches of a tier among `candidates` (after `skip`), newest first. They are looked
   * for among the newest candidates first, where a common term finds a page at once at any table size;
   * only when those hold too few is the whole table searched through the GIN indexes, which is quick for
   * the (few) matches of a rare term. The planner cannot make that choice itself: it estimates a phrase
   * (超级计算机 is 超级 <-> 级计 <-> 计算 <-> 算机) as the product of its pairs, far too rare, and reads every
   * match of a common phrase through the index, 38 s for the second tier at a million articles.
   */
  const newestMatches = async (candidates: ArticleQuery, inTitle: boolean, count: number, skip: number) => {
    const matches = (table: 'recent' | 'articles') => {
      const title = sql<boolean>`${sql.ref(`${table}.search_title`)} @@ ${query}`;
      return inTitle
        ? title
        : sql<boolean>`${sql.ref(`${table}.search_vector`)} @@ ${query} and (${title}) is not true`;
    };
    // Titles are read from the listing index alone; the full vectors need the table, so fewer of them.
    const recent = newestFirst(candidates)
      .select(['articles.id', 'articles.published_at', 'articles.search_title'])
      .$if(!inTitle, (q) => q.select('articles.search_vector'))
      .limit(inTitle ? TITLE_PROBE_ROWS : REST_PROBE_ROWS);
    const recentMatches = db
      .selectFrom(recent.as('recent'))
      .select('recent.id')
      .where(matches('recent'))
      .orderBy('recent.published_at', 'desc')
      .orderBy('recent.id', 'desc')
      .limit(count)
      .offset(skip);
    const relevance = inTitle ? 1 : 0;
    // Walked in index order: the planner, reckoning on reading every candidate, would sort them instead.
    const found = await withPlanner(db, { enable_bitmapscan: 'off' }, () =>
      tier(db.selectFrom('articles').where('articles.id', 'in', recentMatches), relevance).execute(),
    );
    if (found.length === count) return found as Row[];
    // The term is rare among the newest: its matches come from the GIN index, never from walking the
    // listing index newest first (which is what the planner picks when it thinks the term is common).
    return (await withPlanner(db, { enable_indexscan: 'off' }, () =>
      tier(candidates.where(matches('articles')), relevance)
        .limit(count)
        .offset(skip)
        .execute(),
    )) as Row[];
  };

  let rows: Row[] = [];
  if (!skipTitles) rows = await newestMatches(after ? listed.where(after) : listed, true, limit + 1, offset);
  if (rows.length <= limit) {
    let restOffset = 0;
    if (page.page !== undefined && offset > 0) {
      const titles = await listed
        .where(titleMatch)
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow();
      restOffset = Math.max(0, offset - titles.n);
    }
    const candidates = skipTitles && after ? listed.where(after) : listed;
    rows = [...rows, ...(await newestMatches(candidates, false, limit + 1 - rows.length, restOffset))];
  }
  const total = await countTotal(
    db,
    applyArticleFilter(db.selectFrom('articles'), filter),
    page.total ?? 'none',
    SEARCH_COUNT_CAP,
  );
  return finishPage(nestJoined(rows, include), RELEVANCE, page, total);
}

/**
 * Runs `run` under these planner settings, then puts them back. Both happen inside the search's
 * transaction; if `run` fails, the transaction is rolled back with the settings, so nothing is put back
 * (a statement in a failed transaction would itself fail and hide the error).
 */
async function withPlanner<T>(
  db: Kysely<Database>,
  settings: Record<string, 'on' | 'off'>,
  run: () => Promise<T>,
) {
  const apply = (values: Record<string, string>) =>
    sql`select ${sql.join(Object.entries(values).map(([name, value]) => sql`set_config(${name}, ${value}, true)`))}`.execute(
      db,
    );
  await apply(settings);
  const result = await run();
  await apply(Object.fromEntries(Object.keys(settings).map((name) => [name, 'on'])));
  return result;
}

export async function listArticles(
  db: Kysely<Database>,
  filter: ArticleFilter,
  sort: ArticleSort,
  columns: readonly ArticleColumn[],
  page: PageRequest,
  include: ReadonlySet<ArticleInclude> = new Set(),
) {
  if (filter.search === undefined) return listInOrder(db, filter, sort, columns, include, page);
  // The planner prices `@@` as cheap, but on a sequential scan it decompresses every row's vector: for a
  // common term that is a scan of the whole table. Searches always go through the GIN index instead.
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    return listInOrder(trx, filter, sort, columns, include, page);
  });
}

/** Whether the filter narrows by status alone: then one plan (the sort order's index) suits every page. */
const onlyByStatus = ({ status, ...others }: ArticleFilter) =>
  Object.values(others).every((value) => value === undefined);

async function listInOrder(
  db: Kysely<Database>,
  filter: ArticleFilter,
  sort: ArticleSort,
  columns: readonly ArticleColumn[],
  include: ReadonlySet<ArticleInclude>,
  page: PageRequest,
) {
  if (sort === 'relevance') {
    if (filter.search === undefined) throw new Error('relevance needs a search');
    return listByRelevance(db, { ...filter, search: filter.search }, columns, include, page);
  }
  const spec = sortSpec(sort, filter.status === 'public' || filter.status === 'published');
  const sortKey = spec.keys[0]?.expression ?? articleId;
  const filtered = applyArticleFilter(db.selectFrom('articles'), filter);
  const listed = await paginate<ListedArticle>(
    db,
    filtered,
    (query) =>
      selectListed(query, columns, include).select(
        sql`${sortKey}`.as('sort_key'),
      ) as unknown as SelectQueryBuilder<Database, 'articles', ListedArticle>,
    spec,
    {
      ...page,
      ...(filter.search !== undefined ? { countCap: SEARCH_COUNT_CAP } : {}),
      prepared: onlyByStatus(filter),
    },
  );
  return { ...listed, rows: nestJoined(listed.rows, include) };
}

type Visibility = 'public' | 'any';

/** One article by id or slug; `public`: only if published and its time has come. */
function articleLookup(
  db: Kysely<Database>,
  column: 'id' | 'slug',
  value: number | string,
  visibility: Visibility,
): ArticleQuery {
  let query = db
    .selectFrom('articles')
    .where(`articles.${column}`, '=', value)
    .where('articles.deleted_at', 'is', null);
  if (visibility === 'public') {
    query = query
      .where('articles.status', '=', 'published')
      .where('articles.published_at', '<=', sql<string>`now()`);
  }
  return query;
}

const NO_INCLUDES: ReadonlySet<ArticleInclude> = new Set();
const JOIN_SETS: JoinedInclude[][] = [[], ['source'], ['category'], ['source', 'category']];

/**
 * The page-view reads, compiled at start-up for each way of naming an article, each visibility and each
 * set of joined includes: all of them are then named prepared statements before any listing claims a name.
 */
function precompiledLookups<Row>(
  select: (query: ArticleQuery, include: ReadonlySet<ArticleInclude>) => Compilable<Row>,
  joinSets: JoinedInclude[][] = [[]],
) {
  const lookups = new Map<string, ReturnType<typeof precompile<'key', Row>>>();
  for (const column of ['id', 'slug'] as const) {
    for (const visibility of ['public', 'any'] as const) {
      for (const joined of joinSets) {
        lookups.set(
          `${column} ${visibility} ${joined.join()}`,
          precompile<'key', Row>(
            (db, slot) => select(articleLookup(db, column, slot('key'), visibility), new Set(joined)),
            { prepared: true },
          ),
        );
      }
    }
  }
  return async (
    db: Kysely<Database>,
    idOrSlug: string,
    visibility: Visibility,
    include: ReadonlySet<ArticleInclude> = NO_INCLUDES,
  ): Promise<Row | undefined> => {
    const { column, value } = idOrSlugFilter(idOrSlug);
    const joined = include.size === 0 ? '' : joinedIncludes(include).join();
    const lookup = lookups.get(`${column} ${visibility} ${joined}`) as NonNullable<
      ReturnType<typeof lookups.get>
    >;
    const [row] = await lookup(db, { key: value });
    return row;
  };
}

// The joined columns arrive flat (`source.name`) until nestJoined: the row type names the article's only.
const findArticleRow = precompiledLookups(
  (query, include) => selectListed(query, ARTICLE_COLUMNS, include) as unknown as Compilable<ArticleRow>,
  JOIN_SETS,
);

/** An article with every column, and the source and category that `include` asks for (one query). */
export async function findArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  visibility: Visibility,
  include: ReadonlySet<ArticleInclude> = NO_INCLUDES,
): Promise<(ArticleRow & Pick<Related, 'source' | 'category'>) | undefined> {
  const row = await findArticleRow(db, idOrSlug, visibility, include);
  return row && (include.size === 0 ? row : (nestJoined([row], include)[0] as ArticleRow));
}

/** Just the version of an article: enough to answer a conditional GET without loading the body. */
export const findArticleVersion = precompiledLookups((query) =>
  query.select(['articles.id', 'articles.revision']),
);

export interface Related {
  source?: SourceRow | null;
  category?: CategoryRow | null;
  breadcrumbs?: Breadcrumb[];
}

/** Each article's root-to-category path (`include=breadcrumbs`), in one query whatever their number. */
export async function loadBreadcrumbs(
  db: Kysely<Database>,
  articles: { category_id?: number | null }[],
): Promise<Breadcrumb[][]> {
  const ids = [
    ...new Set(articles.map((a) => a.category_id).filter((id): id is number => typeof id === 'number')),
  ];
  const paths = await breadcrumbsFor(db, ids);
  return articles.map((article) => (article.category_id && paths.get(article.category_id)) || []);
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
