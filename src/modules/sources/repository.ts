import { type Kysely, sql } from 'kysely';
import type { Database, SourceRow } from '../../db/types.ts';
import type { VersionCheck } from '../../http/etags.ts';
import { type PageRequest, paginate, type SortSpec } from '../../http/paging.ts';
import { conflict } from '../../http/problems.ts';
import { type Actor, recordAudit } from '../audit.ts';
import { idOrSlugFilter, withSlug } from '../slugs.ts';
import type { SourceCreate, SourcePatch } from './schemas.ts';

const columns = [
  'id',
  'slug',
  'name',
  'homepage_url',
  'description',
  'created_at',
  'updated_at',
  'revision',
] as const;

const id = sql`sources.id`;
const SORTS: Record<string, SortSpec> = {
  name: {
    name: 'name',
    direction: 'asc',
    keys: [{ expression: sql`sources.name`, field: 'name', kind: 'text' }],
    idExpression: id,
  },
  '-created_at': {
    name: '-created_at',
    direction: 'desc',
    keys: [{ expression: sql`sources.created_at`, field: 'created_at', kind: 'timestamp' }],
    idExpression: id,
  },
};

export async function listSources(db: Kysely<Database>, sort: string, page: PageRequest) {
  const spec = SORTS[sort] ?? (SORTS.name as SortSpec);
  return paginate<SourceRow & { article_count: number }>(
    db,
    db.selectFrom('sources'),
    (query) =>
      query
        .select(columns)
        .select((eb) =>
          eb
            .selectFrom('articles')
            .select(sql<number>`count(*)::int`.as('n'))
            .whereRef('articles.source_id', '=', 'sources.id')
            .where('articles.status', '=', 'published')
            .where('articles.published_at', '<=', sql<string>`now()`)
            .where('articles.deleted_at', 'is', null)
            .as('article_count'),
        ),
    spec,
    page,
  );
}

export async function findSource(db: Kysely<Database>, idOrSlug: string): Promise<SourceRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  return db.selectFrom('sources').select(columns).where(column, '=', value).executeTakeFirst();
}

/** The stored columns of a new source, as the API and the importer both write them. */
export function newSourceValues(input: SourceCreate) {
  return {
    name: input.name.trim(),
    homepage_url: input.homepage_url ?? null,
    description: input.description ?? '',
  };
}

export async function createSource(
  db: Kysely<Database>,
  input: SourceCreate,
  actor: Actor = null,
): Promise<SourceRow> {
  const created = await withSlug(db, 'sources', input.slug, input.name, (slug) =>
    db
      .insertInto('sources')
      .values({ slug, ...newSourceValues(input) })
      .returning(columns)
      .executeTakeFirstOrThrow(),
  );
  await recordAudit(db, {
    resource: 'source',
    resourceId: created.id,
    action: 'create',
    changes: input,
    actor,
  });
  return created;
}

export async function updateSource(
  db: Kysely<Database>,
  idOrSlug: string,
  patch: SourcePatch,
  check?: VersionCheck,
  actor: Actor = null,
): Promise<SourceRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  const changes = { ...patch, ...(patch.name !== undefined ? { name: patch.name.trim() } : {}) };
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('sources')
      .select(columns)
      .where(column, '=', value)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return undefined;
    check?.(current);
    if (Object.keys(changes).length === 0) return current;
    const updated = await trx
      .updateTable('sources')
      .set(changes)
      .where('id', '=', current.id)
      .returning(columns)
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      resource: 'source',
      resourceId: current.id,
      action: 'update',
      changes: patch,
      actor,
    });
    return updated;
  });
}

/** Refuses while articles still cite the source: their attribution would be lost. */
export async function deleteSource(
  db: Kysely<Database>,
  idOrSlug: string,
  check?: VersionCheck,
  actor: Actor = null,
): Promise<boolean> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  return db.transaction().execute(async (trx) => {
    const source = await trx
      .selectFrom('sources')
      .select(['id', 'revision'])
      .where(column, '=', value)
      .forUpdate()
      .executeTakeFirst();
    if (!source) return false;
    check?.(source);
    const { n } = await trx
      .selectFrom('articles')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('source_id', '=', source.id)
      .executeTakeFirstOrThrow();
    if (n > 0) {
      throw conflict('source-in-use', `The source still has ${n} article(s); move or delete them first.`, {
        article_count: n,
      });
    }
    await trx.deleteFrom('sources').where('id', '=', source.id).execute();
    await recordAudit(trx, { resource: 'source', resourceId: source.id, action: 'delete', actor });
    return true;
  });
}
