import { type Kysely, sql, type Transaction } from 'kysely';
import type { CategoryRow, Database } from '../../db/types.ts';
import type { VersionCheck } from '../../http/etags.ts';
import { type PageRequest, paginate, type SortSpec } from '../../http/paging.ts';
import { conflict } from '../../http/problems.ts';
import { type Actor, recordAudit } from '../audit.ts';
import { idOrSlugFilter, withSlug } from '../slugs.ts';
import type { CategoryCreate, CategoryPatch } from './schemas.ts';

export const categoryColumns = [
  'categories.id',
  'categories.slug',
  'categories.name',
  'categories.description',
  'categories.parent_id',
  'categories.position',
  'categories.created_at',
  'categories.updated_at',
  'categories.revision',
] as const;

export interface Breadcrumb {
  id: number;
  slug: string;
  name: string;
}

export interface CategoryTreeNode extends CategoryRow {
  article_count: number;
  children: CategoryTreeNode[];
}

const id = sql`categories.id`;
const SORTS: Record<string, SortSpec> = {
  position: {
    name: 'position',
    direction: 'asc',
    keys: [{ expression: sql`categories.position`, field: 'position', kind: 'integer' }],
    idExpression: id,
  },
  name: {
    name: 'name',
    direction: 'asc',
    keys: [{ expression: sql`categories.name`, field: 'name', kind: 'text' }],
    idExpression: id,
  },
};

export async function findCategory(db: Kysely<Database>, idOrSlug: string): Promise<CategoryRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  return db
    .selectFrom('categories')
    .select(categoryColumns)
    .where(`categories.${column}`, '=', value)
    .executeTakeFirst();
}

export async function listCategories(
  db: Kysely<Database>,
  filter: { parentId?: number },
  sort: string,
  page: PageRequest,
) {
  let filtered = db.selectFrom('categories');
  if (filter.parentId !== undefined) filtered = filtered.where('categories.parent_id', '=', filter.parentId);
  return paginate<CategoryRow>(
    db,
    filtered,
    (query) => query.select(categoryColumns),
    SORTS[sort] ?? (SORTS.position as SortSpec),
    page,
  );
}

export async function categoryTree(db: Kysely<Database>): Promise<CategoryTreeNode[]> {
  const rows = await db
    .selectFrom('categories')
    .select(categoryColumns)
    .select((eb) =>
      eb
        .selectFrom('articles')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('articles.category_id', '=', 'categories.id')
        .where('articles.status', '=', 'published')
        .where('articles.published_at', '<=', sql<string>`now()`)
        .where('articles.deleted_at', 'is', null)
        .as('article_count'),
    )
    .orderBy('categories.position')
    .orderBy('categories.id')
    .execute();
  const nodes = new Map<number, CategoryTreeNode>();
  for (const row of rows) nodes.set(row.id, { ...row, article_count: row.article_count ?? 0, children: [] });
  const roots: CategoryTreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_id === null ? undefined : nodes.get(node.parent_id);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** Root-to-node paths for several categories in one query, keyed by category id. */
export async function breadcrumbsFor(
  db: Kysely<Database>,
  categoryIds: number[],
): Promise<Map<number, Breadcrumb[]>> {
  const paths = new Map<number, Breadcrumb[]>();
  if (categoryIds.length === 0) return paths;
  const { rows } = await sql<Breadcrumb & { leaf_id: number; depth: number }>`
    with recursive path (leaf_id, id, slug, name, parent_id, depth) as (
      select c.id, c.id, c.slug, c.name, c.parent_id, 0
      from categories c where c.id = any(${categoryIds}::int[])
      union all
      select path.leaf_id, c.id, c.slug, c.name, c.parent_id, path.depth + 1
      from categories c join path on c.id = path.parent_id
      where path.depth < 100
    )
    select leaf_id, id, slug, name, depth from path order by leaf_id, depth desc
  `.execute(db);
  for (const { leaf_id, depth: _depth, ...crumb } of rows) {
    const path = paths.get(leaf_id) ?? [];
    path.push(crumb);
    paths.set(leaf_id, path);
  }
  return paths;
}

/** The category and every category below it. */
export function subtreeIds(categoryId: number) {
  return sql<number>`(
    with recursive subtree (id) as (
      select ${categoryId}::int
      union
      select c.id from categories c join subtree on c.parent_id = subtree.id
    )
    select id from subtree
  )`;
}

export async function nextPosition(db: Kysely<Database>, parentId: number | null): Promise<number> {
  const row = await db
    .selectFrom('categories')
    .select(sql<number>`coalesce(max(position) + 1, 0)`.as('next'))
    .where('parent_id', parentId === null ? 'is' : '=', parentId)
    .executeTakeFirstOrThrow();
  return row.next;
}

/** The stored text columns of a new category, as the API and the importer both write them. */
export function newCategoryValues(input: Pick<CategoryCreate, 'name' | 'description'>) {
  return { name: input.name.trim(), description: input.description ?? '' };
}

export async function createCategory(
  db: Kysely<Database>,
  input: CategoryCreate,
  actor: Actor = null,
): Promise<CategoryRow> {
  const parentId = input.parent_id ?? null;
  const position = input.position ?? (await nextPosition(db, parentId));
  const created = await withSlug(db, 'categories', input.slug, input.name, (slug) =>
    db
      .insertInto('categories')
      .values({ slug, ...newCategoryValues(input), parent_id: parentId, position })
      .returning(categoryColumns)
      .executeTakeFirstOrThrow(),
  );
  await recordAudit(db, {
    resource: 'category',
    resourceId: created.id,
    action: 'create',
    changes: input,
    actor,
  });
  return created;
}

/** Refuses (409 `category-cycle`) to put a category under itself or one of its descendants. */
export async function assertNoCycle(
  trx: Transaction<Database>,
  categoryId: number,
  newParentId: number,
): Promise<void> {
  const { rows } = await sql<{ id: number }>`
    with recursive ancestors (id, parent_id) as (
      select id, parent_id from categories where id = ${newParentId}
      union
      select c.id, c.parent_id from categories c join ancestors a on c.id = a.parent_id
    )
    select id from ancestors where id = ${categoryId}
  `.execute(trx);
  if (rows.length > 0) {
    throw conflict(
      'category-cycle',
      newParentId === categoryId
        ? 'A category cannot be its own parent.'
        : `Category ${newParentId} is below category ${categoryId}; moving it there would make a cycle.`,
      { errors: [{ path: '/parent_id', location: 'body', message: 'would make a cycle' }] },
    );
  }
}

export async function updateCategory(
  db: Kysely<Database>,
  idOrSlug: string,
  patch: CategoryPatch,
  check?: VersionCheck,
  actor: Actor = null,
): Promise<CategoryRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  return db.transaction().execute(async (trx) => {
    const moving = patch.parent_id !== undefined && patch.parent_id !== null;
    // Two concurrent moves could each pass the cycle check and together make a loop.
    if (moving) await sql`lock table categories in share row exclusive mode`.execute(trx);
    const current = await trx
      .selectFrom('categories')
      .select(categoryColumns)
      .where(`categories.${column}`, '=', value)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return undefined;
    check?.(current);
    if (Object.keys(patch).length === 0) return current;
    if (moving) await assertNoCycle(trx, current.id, patch.parent_id as number);
    const changes = { ...patch, ...(patch.name !== undefined ? { name: patch.name.trim() } : {}) };
    const updated = await trx
      .updateTable('categories')
      .set(changes)
      .where('id', '=', current.id)
      .returning(categoryColumns)
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      resource: 'category',
      resourceId: current.id,
      action: 'update',
      changes: patch,
      actor,
    });
    return updated;
  });
}

/** Refuses while children or articles remain: deleting would orphan them. */
export async function deleteCategory(
  db: Kysely<Database>,
  idOrSlug: string,
  check?: VersionCheck,
  actor: Actor = null,
): Promise<boolean> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  return db.transaction().execute(async (trx) => {
    const category = await trx
      .selectFrom('categories')
      .select(['id', 'revision'])
      .where(column, '=', value)
      .forUpdate()
      .executeTakeFirst();
    if (!category) return false;
    check?.(category);
    const counts = await trx
      .selectNoFrom((eb) => [
        eb
          .selectFrom('categories')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('parent_id', '=', category.id)
          .as('children'),
        eb
          .selectFrom('articles')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('category_id', '=', category.id)
          .as('articles'),
      ])
      .executeTakeFirstOrThrow();
    const children = counts.children ?? 0;
    const articles = counts.articles ?? 0;
    if (children > 0 || articles > 0) {
      const reasons = [
        children > 0 ? `${children} child categor${children === 1 ? 'y' : 'ies'}` : '',
        articles > 0 ? `${articles} article(s)` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw conflict('category-in-use', `The category still has ${reasons}; move or delete them first.`, {
        child_count: children,
        article_count: articles,
      });
    }
    await trx.deleteFrom('categories').where('id', '=', category.id).execute();
    await recordAudit(trx, { resource: 'category', resourceId: category.id, action: 'delete', actor });
    return true;
  });
}
