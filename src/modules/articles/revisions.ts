import type { Kysely } from 'kysely';
import type { ArticleRow, Database } from '../../db/types.ts';
import type { Actor } from '../audit.ts';

/** Keeps the article as it is now, before a change; who made the change is the actor. */
export async function saveRevision(db: Kysely<Database>, current: ArticleRow, actor: Actor): Promise<void> {
  await db
    .insertInto('article_revisions')
    .values({
      article_id: current.id,
      revision: current.revision,
      snapshot: JSON.stringify(current),
      key_id: actor?.id ?? null,
      key_name: actor?.name ?? null,
    })
    .execute();
}

const revisionColumns = ['revision', 'key_id', 'key_name', 'created_at'] as const;

export async function listRevisions(db: Kysely<Database>, articleId: number) {
  return db
    .selectFrom('article_revisions')
    .select(revisionColumns)
    .where('article_id', '=', articleId)
    .orderBy('revision', 'desc')
    .execute();
}

export async function findRevision(db: Kysely<Database>, articleId: number, revision: number) {
  return db
    .selectFrom('article_revisions')
    .select([...revisionColumns, 'snapshot'])
    .where('article_id', '=', articleId)
    .where('revision', '=', revision)
    .executeTakeFirst() as Promise<
    | {
        revision: number;
        key_id: number | null;
        key_name: string | null;
        created_at: string;
        snapshot: ArticleRow;
      }
    | undefined
  >;
}
