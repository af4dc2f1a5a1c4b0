import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance, FastifyServerOptions, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import type { Scope } from '../src/http/access.ts';
import { createKey } from '../src/modules/keys/repository.ts';

/** The server engine when TEST_DATABASE_URL (or DATABASE_URL) is set, else the embedded one. */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const engineName = serverUrl ? 'server' : 'embedded';

const migrationsDir = new URL('../db/migrations/', import.meta.url);

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir).sort())
    hash.update(file).update(readFileSync(new URL(file, migrationsDir)));
  return hash.digest('hex').slice(0, 16);
}

/** A migrated embedded database is dumped once and loaded by every test file: far faster than initdb. */
async function embeddedTemplate(): Promise<Blob> {
  const path = join(tmpdir(), `newsdesk-test-template-${migrationsHash()}.tar`);
  try {
    return new Blob([readFileSync(path)]);
  } catch {
    const pglite = new PGlite();
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
    await migrateToLatest(db);
    const dump = await pglite.dumpDataDir('none');
    await db.destroy(); // closes the PGlite instance too
    const temporary = `${path}.${process.pid}`;
    writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    renameSync(temporary, path);
    return dump;
  }
}

/** A fresh database on the server, migrated, dropped again by `drop()`. */
async function serverDatabase(adminUrl: string) {
  const name = `newsdesk_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: adminUrl, max: 1 }) }),
  });
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
      await admin.destroy();
    },
  };
}

type InjectResponse = LightMyRequestResponse & { body: string; json<T = any>(): T };

export interface TestContext {
  app: FastifyInstance;
  database: DatabaseHandle;
  config: Config;
  /** SQL of every query run since the last `queries.length = 0`. */
  queries: string[];
  /** A request with the admin key, unless it sets its own Authorization header. */
  request(options: InjectOptions): Promise<InjectResponse>;
  /** A request without any key: what the public sees. */
  anonymous(options: InjectOptions): Promise<InjectResponse>;
  /** Creates a key with these scopes and returns its secret. */
  key(...scopes: Scope[]): Promise<string>;
  close(): Promise<void>;
}

export async function startTestApp(
  settings: Record<string, string> = {},
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<TestContext> {
  const queries: string[] = [];
  const onQuery = (event: { level: string; query: { sql: string } }) => {
    if (event.level === 'query') queries.push(event.query.sql);
  };
  let database: DatabaseHandle;
  let drop = async () => {};
  if (serverUrl) {
    const created = await serverDatabase(serverUrl);
    drop = created.drop;
    database = await openDatabase({ kind: 'server', url: created.url, poolMax: 5 }, { onQuery });
    await migrateToLatest(database.db);
  } else {
    database = await openDatabase(
      { kind: 'embedded', dataDir: null, loadDataDir: await embeddedTemplate() },
      { onQuery },
    );
  }
  // Blocking calls in tests (spawning CLIs, the in-process embedded engine on a busy machine) would
  // otherwise trip load shedding in tests that are not about it.
  const config = loadConfig({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...settings });
  const app = await buildApp({ config, database, ...(options.logger ? { logger: options.logger } : {}) });
  await app.ready();
  const { secret: adminSecret } = await createKey(database.db, { name: 'test admin', scopes: ['admin'] });
  queries.length = 0;
  return {
    app,
    database,
    config,
    queries,
    request: (options) =>
      app.inject({
        ...options,
        headers: { authorization: `Bearer ${adminSecret}`, ...options.headers },
      }) as never,
    anonymous: (options) => app.inject(options) as never,
    key: async (...scopes) => (await createKey(database.db, { name: unique('key'), scopes })).secret,
    async close() {
      await app.close();
      await database.close();
      await drop();
    },
  };
}

let counter = 0;
/** A suffix that keeps slugs and names of one test apart from every other's. */
export const unique = (prefix = 't') => `${prefix}-${process.pid.toString(36)}-${(++counter).toString(36)}`;

export const PROBLEM_JSON = /^application\/problem\+json/;

/** A fresh, empty database on the server (TEST_DATABASE_URL), for tests that run a CLI against it. */
export async function freshServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error('freshServerDatabase() needs TEST_DATABASE_URL');
  return serverDatabase(serverUrl);
}
