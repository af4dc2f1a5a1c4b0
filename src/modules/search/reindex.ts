import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { type SearchableFields, searchVector, TOKENIZER_VERSION } from './tokenizer.ts';

export function searchColumns(fields: SearchableFields) {
  return {
    search_vector: searchVector(fields),
    search_title: searchVector({ title: fields.title, summary: '', body_text: '' }),
    search_version: TOKENIZER_VERSION,
  };
}

/**
 * Rebuilds search vectors in batches: rows indexed by an older tokeniser (or every row with `all`).
 * Returns how many rows were re-indexed.
 */
export async function reindexArticles(
  db: Kysely<Database>,
  options: { all?: boolean; batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let lastId = 0;
  let done = 0;
  for (;;) {
    let query = db
      .selectFrom('articles')
      .select(['id', 'title', 'summary', 'body_text'])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize);
    if (!options.all) query = query.where('search_version', '<>', TOKENIZER_VERSION);
    const rows = await query.execute();
    if (rows.length === 0) return done;
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        await trx.updateTable('articles').set(searchColumns(row)).where('id', '=', row.id).execute();
      }
    });
    lastId = (rows.at(-1) as { id: number }).id;
    done += rows.length;
    options.onProgress?.(done);
  }
}
