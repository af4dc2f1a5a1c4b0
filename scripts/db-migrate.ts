import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { migrateDown, migrateToLatest } from '../src/db/migrator.ts';

const direction = process.argv[2] ?? 'latest';
if (direction !== 'latest' && direction !== 'down') {
  console.error('usage: npm run db:migrate [-- latest|down]');
  process.exit(2);
}
const database = await openDatabase(engineFor(loadConfig()));
try {
  const results = direction === 'down' ? await migrateDown(database.db) : await migrateToLatest(database.db);
  console.log(results.length ? results.join('\n') : 'already up to date');
} finally {
  await database.close();
}
