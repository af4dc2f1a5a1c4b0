import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';

/**
 * The OpenAPI document as the committed file holds it: built from the route schemas with the default
 * settings (so it does not depend on who generates it), without touching a database.
 */
export async function openapiDocument(): Promise<string> {
  // A pool that is never queried never connects.
  const database = await openDatabase({ kind: 'server', url: 'postgres://unused@127.0.0.1:1/unused' });
  const app = await buildApp({ config: loadConfig({}), database });
  await app.ready();
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await database.close();
  return document;
}
