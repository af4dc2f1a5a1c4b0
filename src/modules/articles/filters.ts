import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { invalid } from '../../http/problems.ts';
import { findCategory, subtreeIds } from '../categories/repository.ts';
import { type ParsedQuery, parseQuery } from '../search/tokenizer.ts';
import { findSource } from '../sources/repository.ts';
import type { ArticleFilter } from './repository.ts';
import type { LISTING_STATUSES } from './schemas.ts';

export interface ListingFilters {
  category?: string;
  descendants?: boolean;
  source?: string;
  tag?: string;
  lang?: string;
  status?: (typeof LISTING_STATUSES)[number];
  published_after?: string;
  published_before?: string;
}

/** Turns listing query parameters into a filter, resolving slugs; an unknown one is a 400 naming it. */
export async function resolveFilter(db: Kysely<Database>, query: ListingFilters): Promise<ArticleFilter> {
  const filter: ArticleFilter = {
    status: query.status && query.status !== 'published' ? query.status : 'public',
  };
  if (query.category !== undefined) {
    const category = await findCategory(db, query.category);
    if (!category)
      throw invalid([{ path: '/category', location: 'query', message: `no category '${query.category}'` }]);
    filter.categoryIds = query.descendants === false ? [category.id] : subtreeIds(category.id);
  }
  if (query.source !== undefined) {
    const idsOrSlugs = query.source
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // `source=,` or `source=%20` names nothing; an empty list would be `in ()`, which is not SQL.
    if (idsOrSlugs.length === 0)
      throw invalid([{ path: '/source', location: 'query', message: 'names no source id or slug' }]);
    filter.sourceIds = [];
    for (const idOrSlug of idsOrSlugs) {
      const source = await findSource(db, idOrSlug);
      if (!source)
        throw invalid([{ path: '/source', location: 'query', message: `no source '${idOrSlug}'` }]);
      filter.sourceIds.push(source.id);
    }
  }
  if (query.tag !== undefined) filter.tag = query.tag;
  if (query.lang !== undefined) filter.lang = query.lang;
  if (query.published_after !== undefined) filter.publishedAfter = query.published_after;
  if (query.published_before !== undefined) filter.publishedBefore = query.published_before;
  return filter;
}

/** `q=` as a search, or a 400 when it holds nothing searchable. */
export function parseSearch(q: string | undefined): ParsedQuery | undefined {
  if (q === undefined) return undefined;
  const search = parseQuery(q);
  if (!search)
    throw invalid([{ path: '/q', location: 'query', message: 'has no letters or digits to search for' }]);
  return search;
}
