import type { Kysely } from 'kysely';
import type { ArticleRow, ArticleUpdate, Database } from '../../db/types.ts';
import type { VersionCheck } from '../../http/etags.ts';
import type { Actor } from '../audit.ts';
import { searchColumns } from '../search/reindex.ts';
import { idOrSlugFilter, withSlug } from '../slugs.ts';
import {
  DEFAULT_HTML_POLICY,
  type HtmlPolicy,
  htmlToPlainText,
  sanitizeArticleHtml,
  summarise,
} from './html.ts';
import { ARTICLE_COLUMNS } from './repository.ts';
import { findRevision, saveRevision } from './revisions.ts';
import type { ArticleCreate, ArticlePatch } from './schemas.ts';

/** What a write needs besides its data: the version it expects, who makes it, the HTML policy. */
export interface WriteContext {
  check?: VersionCheck | undefined;
  actor?: Actor;
  html?: HtmlPolicy;
}

const uniqueTags = (tags: string[]) => [...new Set(tags.map((tag) => tag.trim()))];

/** Body-derived fields: the stored HTML is always the sanitised one, and the text follows it. */
function bodyFields(html: string, policy: HtmlPolicy) {
  const body_html = sanitizeArticleHtml(html, policy);
  return { body_html, body_text: htmlToPlainText(body_html) };
}

/**
 * The stored columns of a new article, derived from what a client sends: the sanitised body and its
 * text, the summary (from the body when not given), trimmed fields, defaults and the search columns.
 * Creating through the API and importing a file both store exactly this.
 */
export function newArticleValues(input: ArticleCreate, html: HtmlPolicy = DEFAULT_HTML_POLICY) {
  const body = bodyFields(input.body_html ?? '', html);
  const status = input.status ?? 'draft';
  const values = {
    title: input.title.trim(),
    summary: input.summary?.trim() || summarise(body.body_text),
    ...body,
    cover_image: input.cover_image ? JSON.stringify(input.cover_image) : null,
    author: input.author?.trim() ?? '',
    lang: input.lang ?? 'zh-Hans',
    tags: uniqueTags(input.tags ?? []),
    status,
    published_at: input.published_at ?? (status === 'published' ? new Date().toISOString() : null),
    source_id: input.source_id ?? null,
    source_url: input.source_url ?? null,
    category_id: input.category_id ?? null,
  };
  return { ...values, ...searchColumns(values) };
}

export async function createArticle(
  db: Kysely<Database>,
  input: ArticleCreate,
  html: HtmlPolicy = DEFAULT_HTML_POLICY,
): Promise<ArticleRow> {
  const values = newArticleValues(input, html);
  return withSlug(db, 'articles', input.slug, values.title, (slug) =>
    db
      .insertInto('articles')
      .values({ ...values, slug })
      .returning(ARTICLE_COLUMNS)
      .executeTakeFirstOrThrow(),
  );
}

function changesFor(current: ArticleRow, patch: ArticlePatch, html: HtmlPolicy): ArticleUpdate {
  const changes: ArticleUpdate = {};
  if (patch.slug !== undefined) changes.slug = patch.slug;
  if (patch.title !== undefined) changes.title = patch.title.trim();
  if (patch.author !== undefined) changes.author = patch.author.trim();
  if (patch.lang !== undefined) changes.lang = patch.lang;
  if (patch.tags !== undefined) changes.tags = uniqueTags(patch.tags);
  if (patch.status !== undefined) changes.status = patch.status;
  if (patch.published_at !== undefined) changes.published_at = patch.published_at;
  if (patch.source_id !== undefined) changes.source_id = patch.source_id;
  if (patch.source_url !== undefined) changes.source_url = patch.source_url;
  if (patch.category_id !== undefined) changes.category_id = patch.category_id;
  if (patch.cover_image !== undefined)
    changes.cover_image = patch.cover_image ? JSON.stringify(patch.cover_image) : null;
  if (patch.body_html !== undefined) Object.assign(changes, bodyFields(patch.body_html, html));
  if (patch.summary !== undefined) {
    changes.summary = patch.summary.trim() || summarise(changes.body_text ?? current.body_text);
  } else if (changes.body_text !== undefined && current.summary === summarise(current.body_text)) {
    // The summary was derived from the old body, so it follows the new one.
    changes.summary = summarise(changes.body_text);
  }
  const publishing = (changes.status ?? current.status) === 'published';
  if (
    publishing &&
    (changes.published_at === undefined ? current.published_at : changes.published_at) === null
  ) {
    changes.published_at = new Date().toISOString();
  }
  return changes;
}

export async function updateArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  patch: ArticlePatch,
  { check, actor = null, html = DEFAULT_HTML_POLICY }: WriteContext = {},
): Promise<ArticleRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await lockArticle(trx, idOrSlug, 'live');
    if (!current) return undefined;
    check?.(current);
    const changes = changesFor(current, patch, html);
    return applyChanges(trx, current, changes, actor);
  });
}

/** Writes the changes, keeping the state before them as a revision; nothing changed, nothing kept. */
async function applyChanges(
  trx: Kysely<Database>,
  current: ArticleRow,
  changes: ArticleUpdate,
  actor: Actor,
): Promise<ArticleRow> {
  if (Object.keys(changes).length === 0) return current;
  if (changes.title !== undefined || changes.summary !== undefined || changes.body_text !== undefined) {
    Object.assign(changes, searchColumns({ ...current, ...(changes as Partial<ArticleRow>) }));
  }
  const updated = await trx
    .updateTable('articles')
    .set(changes)
    .where('id', '=', current.id)
    .returning(ARTICLE_COLUMNS)
    .executeTakeFirstOrThrow();
  // The database bumps the revision only when a value really changed (a PATCH may repeat the current
  // ones). Keeping a revision of an unchanged row would store its number twice: every later write a 409.
  if (updated.revision !== current.revision) await saveRevision(trx, current, actor);
  return updated;
}

type Trashed = 'live' | 'trashed' | 'any';

/** The article, locked for the rest of the transaction: in the trash, out of it, or either. */
async function lockArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  where: Trashed,
): Promise<ArticleRow | undefined> {
  const { column, value } = idOrSlugFilter(idOrSlug);
  let query = db.selectFrom('articles').select(ARTICLE_COLUMNS).where(column, '=', value);
  if (where !== 'any') query = query.where('deleted_at', where === 'live' ? 'is' : 'is not', null);
  return query.forUpdate().executeTakeFirst();
}

/** Moves the article to the trash: gone from every read, restorable, its revision history kept. */
export async function trashArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  { check, actor = null }: WriteContext = {},
) {
  return db.transaction().execute(async (trx) => {
    const current = await lockArticle(trx, idOrSlug, 'live');
    if (!current) return false;
    check?.(current);
    await saveRevision(trx, current, actor);
    await trx
      .updateTable('articles')
      .set({ deleted_at: new Date().toISOString() })
      .where('id', '=', current.id)
      .execute();
    return true;
  });
}

export async function restoreFromTrash(
  db: Kysely<Database>,
  idOrSlug: string,
  actor: Actor = null,
): Promise<ArticleRow | 'not-trashed' | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await lockArticle(trx, idOrSlug, 'any');
    if (!current) return undefined;
    const { deleted_at } = await trx
      .selectFrom('articles')
      .select('deleted_at')
      .where('id', '=', current.id)
      .executeTakeFirstOrThrow();
    if (deleted_at === null) return 'not-trashed';
    await saveRevision(trx, current, actor);
    return trx
      .updateTable('articles')
      .set({ deleted_at: null })
      .where('id', '=', current.id)
      .returning(ARTICLE_COLUMNS)
      .executeTakeFirstOrThrow();
  });
}

/** Deletes for good, with its revisions: the one way to lose an article, and only for admins. */
export async function purgeArticle(
  db: Kysely<Database>,
  idOrSlug: string,
  check?: VersionCheck,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const current = await lockArticle(trx, idOrSlug, 'any');
    if (!current) return false;
    check?.(current);
    await trx.deleteFrom('articles').where('id', '=', current.id).execute();
    return true;
  });
}

/** Puts back the content of an earlier revision, as a new revision. */
export async function restoreRevision(
  db: Kysely<Database>,
  idOrSlug: string,
  revision: number,
  { check, actor = null, html = DEFAULT_HTML_POLICY }: WriteContext = {},
): Promise<ArticleRow | 'no-revision' | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await lockArticle(trx, idOrSlug, 'live');
    if (!current) return undefined;
    check?.(current);
    const saved = await findRevision(trx, current.id, revision);
    if (!saved) return 'no-revision';
    const { snapshot } = saved;
    const changes = changesFor(
      current,
      {
        slug: snapshot.slug,
        title: snapshot.title,
        summary: snapshot.summary,
        body_html: snapshot.body_html,
        cover_image: snapshot.cover_image,
        author: snapshot.author,
        lang: snapshot.lang,
        tags: snapshot.tags,
        status: snapshot.status,
        published_at: snapshot.published_at,
        source_id: snapshot.source_id,
        source_url: snapshot.source_url,
        category_id: snapshot.category_id,
      },
      html,
    );
    return applyChanges(trx, current, changes, actor);
  });
}
