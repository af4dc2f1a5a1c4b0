import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.ts';
import { createArticle } from '../../src/modules/articles/service.ts';
import { createCategory } from '../../src/modules/categories/repository.ts';
import { createSource } from '../../src/modules/sources/repository.ts';
import { demoArticles, demoCategories, demoSources } from './demo-content.ts';

export interface SeedSummary {
  sources: number;
  categories: number;
  articles: number;
}

async function idsBySlug(db: Kysely<Database>, table: 'sources' | 'categories' | 'articles') {
  const rows = await db.selectFrom(table).select(['id', 'slug']).execute();
  return new Map(rows.map((row) => [row.slug, row.id]));
}

/** Adds the demo site's content; what is already there (same slug) is left alone, so it can run again. */
export async function seedDemoContent(db: Kysely<Database>): Promise<SeedSummary> {
  const added: SeedSummary = { sources: 0, categories: 0, articles: 0 };
  const sources = await idsBySlug(db, 'sources');
  for (const source of demoSources) {
    if (sources.has(source.slug)) continue;
    sources.set(source.slug, (await createSource(db, source)).id);
    added.sources++;
  }
  const categories = await idsBySlug(db, 'categories');
  for (const { parent, ...category } of demoCategories) {
    if (categories.has(category.slug)) continue;
    const parentId = parent === null ? null : (categories.get(parent) ?? null);
    categories.set(category.slug, (await createCategory(db, { ...category, parent_id: parentId })).id);
    added.categories++;
  }
  const articles = await idsBySlug(db, 'articles');
  for (const { source, category, ...article } of demoArticles) {
    if (articles.has(article.slug)) continue;
    await createArticle(db, {
      ...article,
      source_id: sources.get(source) ?? null,
      category_id: categories.get(category) ?? null,
    });
    added.articles++;
  }
  return added;
}

export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('articles').select('id').limit(1).executeTakeFirst();
  const category = await db.selectFrom('categories').select('id').limit(1).executeTakeFirst();
  return !row && !category;
}
