import { type Insertable, type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { ArticlesTable, CategoriesTable, Database, SourcesTable } from '../../db/types.ts';
import { Problem } from '../../http/problems.ts';
import { ARTICLE_COLUMNS } from '../articles/repository.ts';
import { saveRevision } from '../articles/revisions.ts';
import type { newArticleValues } from '../articles/service.ts';
import { recordAudit } from '../audit.ts';
import { assertNoCycle, categoryColumns, newCategoryValues, nextPosition } from '../categories/repository.ts';
import { newSourceValues } from '../sources/repository.ts';
import type { CategoryRecord, SourceRecord } from './records.ts';

export type Outcome = 'created' | 'updated';

/** A record the database could take but the content cannot: an unknown slug, a cycle. */
export class RecordProblem extends Error {}

/** `set column = excluded.column` for each column: the row as the record describes it. */
function fromExcluded<C extends string>(columns: readonly C[]): Record<C, RawBuilder<never>> {
  return Object.fromEntries(
    columns.map((column) => [column, sql<never>`excluded.${sql.ref(column)}`]),
  ) as Record<C, RawBuilder<never>>;
}

/**
 * The timestamps and revision number of an exported row are kept when it is inserted, so a move to
 * another database changes nothing but ids. The table types leave `revision` to the trigger; this is the
 * one writer that sets it.
 */
function history(record: { created_at?: string; updated_at?: string; revision?: number }) {
  return {
    ...(record.created_at !== undefined ? { created_at: record.created_at } : {}),
    ...(record.updated_at !== undefined ? { updated_at: record.updated_at } : {}),
    ...(record.revision !== undefined ? { revision: record.revision } : {}),
  };
}

/** Slug to id for the given slugs that exist. */
export async function idsBySlug(
  db: Kysely<Database>,
  table: 'sources' | 'categories',
  slugs: readonly string[],
): Promise<Map<string, number>> {
  if (slugs.length === 0) return new Map();
  const rows = await db
    .selectFrom(table)
    .select(['id', 'slug'])
    .where('slug', 'in', [...new Set(slugs)])
    .execute();
  return new Map(rows.map((row) => [row.slug, row.id]));
}

const SOURCE_CONTENT = ['name', 'homepage_url', 'description', 'created_at'] as const;

export async function upsertSource(db: Kysely<Database>, record: SourceRecord): Promise<Outcome> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('sources')
      .select(['id', 'revision', 'created_at'])
      .where('slug', '=', record.slug)
      .forUpdate()
      .executeTakeFirst();
    const row = {
      slug: record.slug,
      ...newSourceValues(record),
      ...history(record),
      ...(record.created_at === undefined && current ? { created_at: current.created_at } : {}),
    } as Insertable<SourcesTable>;
    const written = await trx
      .insertInto('sources')
      .values(row)
      .onConflict((oc) => oc.column('slug').doUpdateSet(fromExcluded(SOURCE_CONTENT)))
      .returning(['id', 'revision'])
      .executeTakeFirstOrThrow();
    return audited(trx, 'source', record, current, written);
  });
}

const CATEGORY_CONTENT = ['name', 'description', 'parent_id', 'position', 'created_at'] as const;

/** Parents must already exist (a file lists them first); moving an existing category must not make a cycle. */
export async function upsertCategory(db: Kysely<Database>, record: CategoryRecord): Promise<Outcome> {
  const parentSlug = record.parent_slug ?? null;
  if (parentSlug === record.slug) throw new RecordProblem('a category cannot be its own parent');
  return db.transaction().execute(async (trx) => {
    let parentId: number | null = null;
    if (parentSlug !== null) {
      parentId = (await idsBySlug(trx, 'categories', [parentSlug])).get(parentSlug) ?? null;
      if (parentId === null) {
        throw new RecordProblem(
          `unknown parent category '${parentSlug}' (a parent must exist or come earlier in the file)`,
        );
      }
      // As in the API: two concurrent moves could each pass the cycle check and together make a loop.
      await sql`lock table categories in share row exclusive mode`.execute(trx);
    }
    const current = await trx
      .selectFrom('categories')
      .select(categoryColumns)
      .where('categories.slug', '=', record.slug)
      .forUpdate()
      .executeTakeFirst();
    if (current && parentId !== null) await refuseCycle(trx, current.id, parentId, record.slug, parentSlug);
    const row = {
      slug: record.slug,
      ...newCategoryValues(record),
      parent_id: parentId,
      position: record.position ?? current?.position ?? (await nextPosition(trx, parentId)),
      ...history(record),
      ...(record.created_at === undefined && current ? { created_at: current.created_at } : {}),
    } as Insertable<CategoriesTable>;
    const written = await trx
      .insertInto('categories')
      .values(row)
      .onConflict((oc) => oc.column('slug').doUpdateSet(fromExcluded(CATEGORY_CONTENT)))
      .returning(['id', 'revision'])
      .executeTakeFirstOrThrow();
    return audited(trx, 'category', record, current, written);
  });
}

async function refuseCycle(
  trx: Transaction<Database>,
  categoryId: number,
  parentId: number,
  slug: string,
  parentSlug: string | null,
): Promise<void> {
  try {
    await assertNoCycle(trx, categoryId, parentId);
  } catch (error) {
    if (error instanceof Problem && error.code === 'category-cycle') {
      throw new RecordProblem(
        `category '${slug}' cannot go under '${parentSlug}', which is below it (that would make a cycle)`,
      );
    }
    throw error;
  }
}

/** Sources and categories keep an audit trail of their changes, whoever makes them; a no-op is not one. */
async function audited(
  trx: Kysely<Database>,
  resource: 'source' | 'category',
  record: SourceRecord | CategoryRecord,
  current: { revision: number } | undefined,
  written: { id: number; revision: number },
): Promise<Outcome> {
  if (!current || current.revision !== written.revision) {
    const { type: _type, ...changes } = record;
    await recordAudit(trx, {
      resource,
      resourceId: written.id,
      action: current ? 'update' : 'create',
      changes,
      actor: null,
    });
  }
  return current ? 'updated' : 'created';
}

export interface ArticleWrite {
  slug: string;
  values: ReturnType<typeof newArticleValues>;
  created_at?: string;
  updated_at?: string;
  revision?: number;
  deleted_at: string | null;
}

/**
 * What an import overwrites on a slug it finds: every article column but its identity (`id`, `slug`) and
 * what the trigger keeps (`updated_at`, `revision`), plus the trash mark and the derived search columns.
 * Derived from the API's column list, so a column added there is carried by imports too.
 */
const KEPT_BY_DATABASE = new Set<string>(['id', 'slug', 'updated_at', 'revision']);
const ARTICLE_CONTENT = [
  ...ARTICLE_COLUMNS.filter((column) => !KEPT_BY_DATABASE.has(column)),
  'deleted_at',
  'search_vector',
  'search_title',
  'search_version',
] as const;

/**
 * Inserts or overwrites the articles (distinct slugs) in one statement. An article whose content changes
 * keeps its earlier state as a revision, as an edit through the API would; the trigger counts the revision
 * and leaves an unchanged row as it was.
 */
export async function upsertArticles(
  trx: Kysely<Database>,
  writes: readonly ArticleWrite[],
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  if (writes.length === 0) return outcomes;
  const existing = await trx
    .selectFrom('articles')
    .select(ARTICLE_COLUMNS)
    .where(
      'slug',
      'in',
      writes.map((write) => write.slug),
    )
    .forUpdate()
    .execute();
  const current = new Map(existing.map((row) => [row.slug, row]));
  const rows = writes.map(
    (write) =>
      ({
        slug: write.slug,
        ...write.values,
        deleted_at: write.deleted_at,
        ...history(write),
        ...(write.created_at === undefined && current.has(write.slug)
          ? { created_at: current.get(write.slug)?.created_at }
          : {}),
      }) as Insertable<ArticlesTable>,
  );
  const written = await trx
    .insertInto('articles')
    .values(rows)
    .onConflict((oc) => oc.column('slug').doUpdateSet(fromExcluded(ARTICLE_CONTENT)))
    .returning(['slug', 'revision'])
    .execute();
  for (const { slug, revision } of written) {
    const before = current.get(slug);
    if (before && before.revision !== revision) await saveRevision(trx, before, null);
    outcomes.set(slug, before ? 'updated' : 'created');
  }
  return outcomes;
}
