import { seedDemoContent } from '../db/seeds/demo.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { migrateToLatest } from '../src/db/migrator.ts';

const database = await openDatabase(engineFor(loadConfig()));
try {
  await migrateToLatest(database.db);
  const added = await seedDemoContent(database.db);
  console.log(
    `demo content added: ${added.sources} sources, ${added.categories} categories, ${added.articles} articles`,
  );
} finally {
  await database.close();
}
