import { isEmpty, seedDemoContent } from '../db/seeds/demo.ts';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { openDatabase } from './db/database.ts';
import { engineFor, readEngineFor } from './db/engine.ts';
import { migrateToLatest } from './db/migrator.ts';
import { loggerOptions } from './logging.ts';
import { countKeys } from './modules/keys/repository.ts';
import { reindexArticles } from './modules/search/reindex.ts';

async function main() {
  const config = loadConfig();
  const engine = engineFor(config);
  const database = await openDatabase(engine);
  await migrateToLatest(database.db);
  const readEngine = readEngineFor(config);
  const readDatabase = readEngine ? await openDatabase(readEngine) : undefined;
  const app = await buildApp({ config, database, readDatabase, logger: loggerOptions(config) });
  const reindexed = await reindexArticles(database.db);
  if (reindexed > 0)
    app.log.info({ articles: reindexed }, 'rebuilt the search index for articles from an older tokeniser');

  if (engine.kind === 'embedded' && config.seedDemoContent && (await isEmpty(database.db))) {
    const added = await seedDemoContent(database.db);
    app.log.info(added, 'seeded demo content into the new embedded database');
  }

  if ((await countKeys(database.db)) === 0) {
    app.log.warn(
      'No API keys yet: reads of published content work, writes need a key. Create the first one with: npm run key -- create --name admin --scope admin (on the embedded database, while the API is stopped)',
    );
  }

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    // Requests that never finish must not keep the process (and a deployment) waiting forever.
    setTimeout(
      () => {
        app.log.error(
          `requests still in flight after SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; exiting`,
        );
        process.exit(1);
      },
      config.shutdownTimeoutMs || 2 ** 31 - 1,
    ).unref();
    await app.close();
    await readDatabase?.close();
    await database.close();
    app.log.info('shut down cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  app.log.info(
    { engine: engine.kind, ...(engine.kind === 'embedded' ? { dataDir: engine.dataDir } : {}) },
    `Newsdesk is up: ${config.publicBaseUrl}/v1/articles, docs at ${config.publicBaseUrl}/docs`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
