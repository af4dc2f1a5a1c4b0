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

/**
 * Fills the database once; a later run with the same size reuses it. A fill that did not finish (no
 * completion mark) is redone in a new database: the fill drops the search indexes while it loads and
 * builds them at the end, so an interrupted one leaves a table without them, and only the migrations
 * know what they are.
 */
export async function ensureBenchDatabase(url: string, articles: number, log: (line: string) => void) {
  if (await isFilled(url, articles)) {
    const database = await openDatabase({ kind: 'server', url });
    // Each run starts from the same state: the last run's write mix leaves dead rows, and index-only
    // scans need the visibility map to say the table's pages are all visible.
    await sql`vacuum analyze articles`.execute(database.db).finally(() => database.close());
    return;
  }
  log(`building ${new URL(url).pathname.slice(1)} with ${articles} articles (once; later runs reuse it)`);
  await withAdmin(url, async (admin, name) => {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
    await sql`create database ${sql.id(name)}`.execute(admin);
  });
  const database = await openDatabase({ kind: 'server', url });
  try {
    await migrateToLatest(database.db);
    await fillDataset(database.db, { articles, sources: 50 }, log);
  } finally {
    await database.close();
  }
}

async function isFilled(url: string, articles: number): Promise<boolean> {
  const exists = await withAdmin(url, async (admin, name) => {
    const { rows } = await sql`select 1 from pg_database where datname = ${name}`.execute(admin);
    return rows.length > 0;
  });
  if (!exists) return false;
  const database = await openDatabase({ kind: 'server', url });
  try {
    const { rows } = await sql<{
      mark: string | null;
    }>`select obj_description(to_regclass('articles')) as mark`.execute(database.db);
    return rows[0]?.mark === completeMark(articles);
  } finally {
    await database.close();
  }
}

/** Runs `work` on the server's `postgres` database, given the name of the bench database in `url`. */
async function withAdmin<T>(url: string, work: (admin: Kysely<unknown>, name: string) => Promise<T>) {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const adminDb = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: admin.toString(), max: 1 }) }),
  });
  try {
    return await work(adminDb, name);
  } finally {
    await adminDb.destroy();
  }
}
