import type { Config } from '../config.ts';
import type { EngineOptions } from './database.ts';

/** `DATABASE_URL` picks the server engine; without it the embedded one keeps its files in the data folder. */
export function engineFor(config: Config): EngineOptions {
  return config.databaseUrl
    ? { kind: 'server', url: config.databaseUrl, poolMax: config.poolMax }
    : { kind: 'embedded', dataDir: config.dataDir };
}
