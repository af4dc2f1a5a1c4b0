import { type Kysely, sql } from 'kysely';
import type { ArticleRow, Database } from '../../db/types.ts';
import { anyTermQuery } from '../search/tokenizer.ts';
import { ARTICLE_COLUMNS } from './repository.ts';

const CANDIDATES_PER_REASON = 200;

/** Every column but the bodies: related articles are teasers. */
const LISTED_COLUMNS = sql.raw(
  ARTICLE_COLUMNS.filter((column) => column !== 'body_html' && column !== 'body_text')
    .map((column) => `a.${column}`)
    .join(', '),
);

/**
 * Public articles that share the most with this one: the same category (3 points), each shared tag
 * (2 points), and title terms (up to 4 points by rank). Candidates come from the newest matches of each
 * reason, each found through an index, so the cost does not grow with the table.
 */
export async function relatedArticles(db: Kysely<Database>, article: ArticleRow, limit: number) {
  const titleTerms = anyTermQuery(article.title);
  const titleQuery = titleTerms ? sql`cast(${titleTerms} as tsquery)` : sql`cast('' as tsquery)`;
  const isPublic = sql`a.status = 'published' and a.published_at <= now() and a.deleted_at is null and a.id <> ${article.id}`;
  const { rows } = await sql<Omit<ArticleRow, 'body_html' | 'body_text'> & { score: number }>`
    with candidates as (
      (select a.id from articles a where ${isPublic} and a.category_id = ${article.category_id}
        order by a.published_at desc limit ${CANDIDATES_PER_REASON})
      union
      (select a.id from articles a where ${isPublic} and a.tags && ${article.tags}::text[]
        order by a.published_at desc limit ${CANDIDATES_PER_REASON})
      union
      (select a.id from articles a where ${isPublic} and a.search_vector @@ ${titleQuery}
        order by a.published_at desc limit ${CANDIDATES_PER_REASON})
    )
    select ${LISTED_COLUMNS},
      (case when a.category_id = ${article.category_id} then 3 else 0 end)
      + 2 * cardinality(array(select unnest(a.tags) intersect select unnest(${article.tags}::text[])))
      + 4 * ts_rank(ts_filter(a.search_vector, '{a}'), ${titleQuery}, 32) as score
    from articles a join candidates c on c.id = a.id
    order by score desc, a.published_at desc, a.id desc
    limit ${limit}
  `.execute(db);
  return rows.map(({ score: _score, ...row }) => row);
}
