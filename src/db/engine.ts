import type { Config } from '../config.ts';
import type { EngineOptions } from './database.ts';

/** `DATABASE_URL` picks the server engine; without it the embedded one keeps its files in the data folder. */
export function engineFor(config: Config): EngineOptions {
  return config.databaseUrl
    ? {
        kind: 'server',
        url: config.databaseUrl,
        poolMax: config.poolMax,
        statementTimeoutMs: config.statementTimeoutMs,
        preparedStatements: config.preparedStatements,
      }
    : { kind: 'embedded', dataDir: config.dataDir };
}

/** The read replica, when one is configured: same pool size and timeouts as the primary. */
export function readEngineFor(config: Config): EngineOptions | undefined {
  return config.databaseReadUrl
    ? {
        kind: 'server',
        url: config.databaseReadUrl,
        poolMax: config.poolMax,
        statementTimeoutMs: config.statementTimeoutMs,
        preparedStatements: config.preparedStatements,
      }
    : undefined;
}
