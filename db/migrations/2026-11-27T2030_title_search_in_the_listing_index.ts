import { type Kysely, sql } from 'kysely';

// The public listing's index also carries each title's search vector, and leaves out the trash: a search
// reads the newest titles from the index alone (an index-only scan) until it has a page of title matches,
// however big the table, instead of fetching every title match's row to sort them.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create index articles_public_latest_idx on articles (published_at desc, id desc) include (search_title)
    where status = 'published' and deleted_at is null
  `.execute(db);
  await sql`drop index articles_published_latest_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create index articles_published_latest_idx on articles (published_at desc, id desc) where status = 'published'
  `.execute(db);
  await sql`drop index articles_public_latest_idx`.execute(db);
}
