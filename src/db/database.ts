import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import { usePreparedStatements } from './prepared-statements.ts';
import { timestamptzToRfc3339 } from './timestamps.ts';
import type { Database } from './types.ts';

const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

export type EngineOptions =
  | {
      kind: 'server';
      url: string;
      poolMax?: number;
      statementTimeoutMs?: number;
      /** Off for poolers that cannot keep them (PgBouncer in transaction mode before 1.21). */
      preparedStatements?: boolean;
    }
  /** `dataDir: null` keeps the embedded database in memory, optionally starting from a dumped one (tests). */
  | { kind: 'embedded'; dataDir: string | null; loadDataDir?: Blob };

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: 'server' | 'embedded';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  onQuery?: (event: LogEvent) => void;
  onConnectionError?: (error: Error) => void;
}

const warn = (error: Error) => process.emitWarning(`database connection lost: ${error.message}`);

export async function openDatabase(
  engine: EngineOptions,
  options: DatabaseOptions = {},
): Promise<DatabaseHandle> {
  const log = options.onQuery;
  if (engine.kind === 'server') {
    const pool = new pg.Pool({
      connectionString: engine.url,
      max: engine.poolMax ?? 10,
      // Fail fast when the server is away, so requests get a 503 instead of queueing.
      connectionTimeoutMillis: 2000,
      options: `-c TimeZone=UTC -c statement_timeout=${engine.statementTimeoutMs ?? 0}`,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (oid === TIMESTAMPTZ_OID) return timestamptzToRfc3339;
          if (oid === INT8_OID) return Number;
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection that the server drops (restart, failover, pg_terminate_backend) is an 'error'
    // event on the pool; unhandled, it would crash the process. The pool replaces the connection.
    pool.on('error', (error) => (options.onConnectionError ?? warn)(error));
    // A connection that dies while checked out (mid-query, when the server stops) emits 'error' on the
    // client, where the pool listens only while it is idle. The query itself fails (a logged 503) and the
    // pool drops the client on release; without this listener the event would crash the process.
    pool.on('connect', (client) => {
      client.on('error', () => {});
      if (engine.preparedStatements !== false) usePreparedStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return { db, engine: 'server', close: () => db.destroy() };
  }

  const unlock = engine.dataDir ? lockDataDir(engine.dataDir) : () => {};
  try {
    // Loaded only for the embedded engine: its WebAssembly build costs ~60 MB that a server-engine
    // process would carry for nothing.
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    const pglite = new PGlite({
      ...(engine.dataDir ? { dataDir: engine.dataDir } : {}),
      ...(engine.loadDataDir ? { loadDataDir: engine.loadDataDir } : {}),
    });
    await pglite.waitReady;
    // PGlite 0.4 drops the `parsers` constructor option while it starts, so they are set once it is ready.
    Object.assign((pglite as unknown as { parsers: Record<number, unknown> }).parsers, {
      [TIMESTAMPTZ_OID]: timestamptzToRfc3339,
      [INT8_OID]: Number,
    });
    await pglite.exec(`set timezone to 'UTC'`);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), ...(log ? { log } : {}) });
    return {
      db,
      engine: 'embedded',
      async close() {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
