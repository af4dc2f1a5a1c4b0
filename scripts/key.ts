import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import type { Scope } from '../src/http/access.ts';
import { createKey, listKeys, revokeKey, SCOPES } from '../src/modules/keys/repository.ts';

const USAGE = `usage:
  npm run key -- create --name NAME --scope SCOPE [--scope SCOPE]   (scopes: ${SCOPES.join(', ')})
  npm run key -- list
  npm run key -- revoke ID_OR_PREFIX`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } },
});
const [command, target] = positionals;
const fail = (message: string): never => {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
};

if (command === 'create') {
  if (!values.name?.trim()) fail('create needs --name');
  const scopes = values.scope ?? [];
  const unknown = scopes.find((scope) => !SCOPES.includes(scope as Scope));
  if (scopes.length === 0 || unknown)
    fail(unknown ? `unknown scope: ${unknown}` : 'create needs at least one --scope');
}
if (command === 'revoke' && !target) fail('revoke needs the key id or prefix');
if (!['create', 'list', 'revoke'].includes(command ?? '')) fail('unknown command');

const database = await openDatabase(engineFor(loadConfig()));
try {
  await migrateToLatest(database.db);
  if (command === 'create') {
    const { key, secret } = await createKey(database.db, {
      name: values.name as string,
      scopes: values.scope as Scope[],
    });
    console.log(`created key ${key.id} "${key.name}" with ${key.scopes.join(', ')}`);
    console.log(`secret (shown once, keep it safe): ${secret}`);
    console.log(`use it as: curl -H "authorization: Bearer ${secret}" ...`);
  } else if (command === 'list') {
    for (const key of await listKeys(database.db)) {
      const state = key.revoked_at ? `revoked ${key.revoked_at}` : `last used ${key.last_used_at ?? 'never'}`;
      console.log(`${key.id}\t${key.prefix}…\t${key.name}\t${key.scopes.join(',')}\t${state}`);
    }
  } else {
    const key = await revokeKey(database.db, target as string);
    if (!key) {
      console.error(`no key ${target}`);
      process.exitCode = 1;
    } else console.log(`revoked key ${key.id} "${key.name}"`);
  }
} finally {
  await database.close();
}
