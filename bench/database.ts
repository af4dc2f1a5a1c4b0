import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { completeMark, fillDataset } from './dataset.ts';

/** One database per data size (`newsdesk_bench_100000`), so switching sizes does not rebuild. */
export function benchDatabaseUrl(baseUrl: string, articles: number): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname}_${articles}`;
  return url.toString();
}

/** Creates the database if needed and fills it once; a later run with the same size reuses it. */
export async function ensureBenchDatabase(url: string, articles: number, log: (line: string) => void) {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const adminDb = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: admin.toString(), max: 1 }) }),
  });
  const { rows } = await sql`select 1 from pg_database where datname = ${name}`.execute(adminDb);
  if (rows.length === 0) await sql`create database ${sql.id(name)}`.execute(adminDb);
  await adminDb.destroy();

  const database = await openDatabase({ kind: 'server', url });
  try {
    await migrateToLatest(database.db);
    const { rows } = await sql<{
      mark: string | null;
    }>`select obj_description('articles'::regclass) as mark`.execute(database.db);
    if (rows[0]?.mark === completeMark(articles)) {
      // Each run starts from the same state: the last run's write mix leaves dead rows, and index-only
      // scans need the visibility map to say the table's pages are all visible.
      await sql`vacuum analyze articles`.execute(database.db);
      return;
    }
    log(`building ${name} with ${articles} articles (once; later runs reuse it)`);
    await sql`truncate articles, categories, sources, article_revisions, audit_log restart identity cascade`.execute(
      database.db,
    );
    await fillDataset(database.db, { articles, sources: 50 }, log);
  } finally {
    await database.close();
  }
}
