import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports from src/. The vectors are built by the application's tokeniser
// (CJK bigrams, traditional folded to simplified); rows get them on write or from `npm run search:reindex`.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table articles add column search_vector tsvector`.execute(db);
  // The title alone, small enough to rank against cheaply: relevance puts title matches first.
  await sql`alter table articles add column search_title tsvector`.execute(db);
  await sql`alter table articles add column search_version smallint not null default 0`.execute(db);
  await sql`create index articles_search_idx on articles using gin (search_vector)`.execute(db);
  await sql`create index articles_search_title_idx on articles using gin (search_title)`.execute(db);
  await sql`create index articles_search_version_idx on articles (search_version, id)`.execute(db);
  // Re-indexing is not an edit: a change of search columns alone keeps revision and updated_at.
  await sql`
    create or replace function newsdesk_touch_row() returns trigger language plpgsql as $$
    begin
      if (to_jsonb(new) - 'search_vector' - 'search_title' - 'search_version')
         = (to_jsonb(old) - 'search_vector' - 'search_title' - 'search_version') then
        return new;
      end if;
      new.revision := old.revision + 1;
      new.updated_at := now();
      return new;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function newsdesk_touch_row() returns trigger language plpgsql as $$
    begin
      new.revision := old.revision + 1;
      new.updated_at := now();
      return new;
    end
    $$
  `.execute(db);
  await sql`drop index articles_search_version_idx`.execute(db);
  await sql`drop index articles_search_title_idx`.execute(db);
  await sql`drop index articles_search_idx`.execute(db);
  await sql`alter table articles drop column search_version`.execute(db);
  await sql`alter table articles drop column search_title`.execute(db);
  await sql`alter table articles drop column search_vector`.execute(db);
}
