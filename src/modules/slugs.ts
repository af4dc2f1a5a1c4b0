import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db/types.ts';
import { isPostgresError } from '../http/postgres-errors.ts';

const MAX_SLUG_LENGTH = 80;

export const SLUG_PATTERN = '^(?![0-9]+$)[\\p{L}\\p{M}\\p{N}_]+(?:-[\\p{L}\\p{M}\\p{N}_]+)*$';

export const slugSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: SLUG_PATTERN,
  description:
    'Unique URL name: letters of any script, digits, `_`, joined by single hyphens; not all digits (that would read as an id). Generated from the name or title when omitted.',
  examples: ['news-updates', '新闻动态'],
});

/**
 * Keeps letters of every script, so a Chinese title gives a readable Chinese slug: the common slug
 * libraries transliterate to ASCII and drop CJK characters entirely, leaving nothing.
 */
export function slugify(text: string, fallback: string): string {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}_]+/u)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if ([...next].length > MAX_SLUG_LENGTH) {
      if (!slug) slug = [...word].slice(0, MAX_SLUG_LENGTH).join('');
      break;
    }
    slug = next;
  }
  if (!slug) return fallback;
  return /^[0-9]+$/.test(slug) ? `${fallback}-${slug}` : slug;
}

type SluggedTable = 'articles' | 'sources' | 'categories';

async function freeSlug(db: Kysely<Database>, table: SluggedTable, base: string): Promise<string> {
  const pattern = `${base.replace(/[\\%_]/g, '\\$&')}-%`;
  const taken = await db
    .selectFrom(table)
    .select('slug')
    .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', pattern)]))
    .execute();
  const used = new Set(taken.map((row) => row.slug as string));
  if (!used.has(base)) return base;
  let n = 2;
  while (used.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

/**
 * Inserts with the explicit slug (a taken one is the client's 409), or with one generated from `text`
 * that is free; a concurrent writer taking the same generated slug makes it try the next one.
 */
export async function withSlug<T>(
  db: Kysely<Database>,
  table: SluggedTable,
  explicit: string | undefined,
  text: string,
  insert: (slug: string) => Promise<T>,
): Promise<T> {
  if (explicit !== undefined) return insert(explicit);
  const base = slugify(text, table.slice(0, -1).replace(/ie$/, 'y'));
  for (let attempt = 0; ; attempt++) {
    const slug = await freeSlug(db, table, base);
    try {
      return await insert(slug);
    } catch (error) {
      const collided =
        isPostgresError(error) && error.code === '23505' && error.constraint === `${table}_slug_key`;
      if (!collided || attempt >= 4) throw error;
    }
  }
}

const MAX_INT = 2147483647;

/** An `{idOrSlug}` path segment: digits are an id, anything else a slug. */
export function idOrSlugFilter(
  idOrSlug: string,
): { column: 'id'; value: number } | { column: 'slug'; value: string } {
  if (/^[0-9]+$/.test(idOrSlug)) {
    const id = Number(idOrSlug);
    return { column: 'id', value: id <= MAX_INT ? id : -1 };
  }
  return { column: 'slug', value: idOrSlug };
}
