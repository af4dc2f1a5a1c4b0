import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/types.ts';
import {
  type ArticleRecord,
  type CategoryRecord,
  type ContentRecord,
  FORMAT,
  FORMAT_VERSION,
  type Header,
  type SourceRecord,
} from './records.ts';

export type ExportCounts = Record<'source' | 'category' | 'article', number>;

async function countRows(db: Kysely<Database>): Promise<ExportCounts> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('sources').select(sql<number>`count(*)::int`.as('n')).as('source'),
      eb.selectFrom('categories').select(sql<number>`count(*)::int`.as('n')).as('category'),
      eb.selectFrom('articles').select(sql<number>`count(*)::int`.as('n')).as('article'),
    ])
    .executeTakeFirstOrThrow();
  return { source: row.source ?? 0, category: row.category ?? 0, article: row.article ?? 0 };
}

async function* sources(db: Kysely<Database>, batchSize: number): AsyncGenerator<SourceRecord> {
  for (let lastId = 0; ; ) {
    const rows = await db
      .selectFrom('sources')
      .select(['id', 'slug', 'name', 'homepage_url', 'description', 'created_at', 'updated_at', 'revision'])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    for (const { id: _id, ...row } of rows) yield { type: 'source', ...row };
    if (rows.length < batchSize) return;
    lastId = (rows.at(-1) as { id: number }).id;
  }
}

/** Shallowest first, so every parent is written (and imported) before its children. */
async function* categories(db: Kysely<Database>, batchSize: number): AsyncGenerator<CategoryRecord> {
  for (let last = { depth: -1, id: 0 }; ; ) {
    const rows = await db
      .withRecursive('tree(id, depth)', (qb) =>
        qb
          .selectFrom('categories')
          .select(['id', sql<number>`0`.as('depth')])
          .where('parent_id', 'is', null)
          .unionAll((union) =>
            union
              .selectFrom('categories as child')
              .innerJoin('tree', 'tree.id', 'child.parent_id')
              .select(['child.id', sql<number>`tree.depth + 1`.as('depth')]),
          ),
      )
      .selectFrom('tree')
      .innerJoin('categories', 'categories.id', 'tree.id')
      .leftJoin('categories as parent', 'parent.id', 'categories.parent_id')
      .select([
        'tree.depth',
        'categories.id',
        'categories.slug',
        'categories.name',
        'categories.description',
        'parent.slug as parent_slug',
        'categories.position',
        'categories.created_at',
        'categories.updated_at',
        'categories.revision',
      ])
      .where(sql<boolean>`(tree.depth, categories.id) > (${last.depth}, ${last.id})`)
      .orderBy('tree.depth')
      .orderBy('categories.id')
      .limit(batchSize)
      .execute();
    for (const { depth: _depth, id: _id, ...row } of rows) yield { type: 'category', ...row };
    if (rows.length < batchSize) return;
    last = rows.at(-1) as { depth: number; id: number };
  }
}

async function* articles(db: Kysely<Database>, batchSize: number): AsyncGenerator<ArticleRecord> {
  for (let lastId = 0; ; ) {
    const rows = await db
      .selectFrom('articles')
      .leftJoin('sources', 'sources.id', 'articles.source_id')
      .leftJoin('categories', 'categories.id', 'articles.category_id')
      .select([
        'articles.id',
        'articles.slug',
        'articles.title',
        'articles.summary',
        'articles.body_html',
        'articles.cover_image',
        'articles.author',
        'articles.lang',
        'articles.tags',
        'articles.status',
        'articles.published_at',
        'sources.slug as source_slug',
        'articles.source_url',
        'categories.slug as category_slug',
        'articles.created_at',
        'articles.updated_at',
        'articles.revision',
        'articles.deleted_at',
      ])
      .where('articles.id', '>', lastId)
      .orderBy('articles.id')
      .limit(batchSize)
      .execute();
    for (const { id: _id, ...row } of rows) yield { type: 'article', ...row } as ArticleRecord;
    if (rows.length < batchSize) return;
    lastId = (rows.at(-1) as { id: number }).id;
  }
}

/**
 * Every source, category and article as records, after a header that counts them. One snapshot
 * (a repeatable-read transaction) keeps the file consistent while the API goes on writing; rows are read
 * in keyset batches, so memory stays the same whatever the size of the database.
 */
export async function* exportRecords(
  db: Kysely<Database>,
  options: { batchSize?: number } = {},
): AsyncGenerator<Header | ContentRecord> {
  const batchSize = options.batchSize ?? 500;
  const trx = await db
    .startTransaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute();
  try {
    yield {
      type: FORMAT,
      version: FORMAT_VERSION,
      exported_at: new Date().toISOString(),
      counts: await countRows(trx),
    };
    yield* sources(trx, batchSize);
    yield* categories(trx, batchSize);
    yield* articles(trx, batchSize);
  } finally {
    await trx.rollback().execute();
  }
}

/** Writes the records as NDJSON, waiting whenever the stream's buffer is full. Does not end the stream. */
export async function writeNdjson(
  records: AsyncIterable<Header | ContentRecord>,
  output: Writable,
  onRecord?: (record: Header | ContentRecord) => void,
): Promise<void> {
  // A failed write (a full disk, a reader that went away) stops the export instead of crashing it.
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure = error;
  };
  output.on('error', onError);
  try {
    for await (const record of records) {
      if (failure) throw failure;
      if (!output.write(`${JSON.stringify(record)}\n`)) await once(output, 'drain');
      onRecord?.(record);
    }
    if (failure) throw failure;
  } finally {
    output.off('error', onError);
  }
}
