import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { reindexArticles } from '../src/modules/search/reindex.ts';

// `npm run search:reindex` re-indexes rows from an older tokeniser; `-- --all` re-indexes every article.
const all = process.argv.includes('--all');
const database = await openDatabase(engineFor(loadConfig()));
try {
  await migrateToLatest(database.db);
  const count = await reindexArticles(database.db, {
    all,
    onProgress: (done) => process.stderr.write(`\rre-indexed ${done} articles`),
  });
  process.stderr.write('\n');
  console.log(`search index rebuilt for ${count} article(s)`);
} finally {
  await database.close();
}
