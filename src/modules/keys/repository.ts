import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/types.ts';
import type { Scope } from '../../http/access.ts';

export const SCOPES: readonly Scope[] = ['content:read', 'content:write', 'admin'];

const keyColumns = ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'] as const;

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Creates a key; the secret is returned this once and only its hash is kept. */
export async function createKey(
  db: Kysely<Database>,
  input: { name: string; scopes: Scope[] },
): Promise<{ key: ApiKey; secret: string }> {
  const secret = `nd_${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      name: input.name.trim(),
      prefix: secret.slice(0, 11),
      secret_hash: hash(secret),
      scopes: [...new Set(input.scopes)],
    })
    .returning(keyColumns)
    .executeTakeFirstOrThrow();
  return { key: row as ApiKey, secret };
}

export async function listKeys(db: Kysely<Database>): Promise<ApiKey[]> {
  return (await db.selectFrom('api_keys').select(keyColumns).orderBy('id').execute()) as ApiKey[];
}

/** Revokes by id or by the key's visible prefix; returns the revoked key, if there was one. */
export async function revokeKey(db: Kysely<Database>, idOrPrefix: string): Promise<ApiKey | undefined> {
  const byId = /^[0-9]+$/.test(idOrPrefix) && Number(idOrPrefix) <= 2147483647;
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<string>`coalesce(revoked_at, now())` })
    .where(byId ? 'id' : 'prefix', '=', byId ? Number(idOrPrefix) : idOrPrefix)
    .returning(keyColumns)
    .executeTakeFirst();
  return row as ApiKey | undefined;
}

const LAST_USED_PRECISION = sql`interval '1 minute'`;

/** The active key with this secret, noting when it was used (at most once a minute per key). */
export async function authenticate(db: Kysely<Database>, secret: string): Promise<ApiKey | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(keyColumns)
    .where('secret_hash', '=', hash(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  if (!row.last_used_at || Date.parse(row.last_used_at) < Date.now() - 60_000) {
    await db
      .updateTable('api_keys')
      .set({ last_used_at: sql<string>`now()` })
      .where('id', '=', row.id)
      .where((eb) =>
        eb.or([
          eb('last_used_at', 'is', null),
          eb('last_used_at', '<', sql<string>`now() - ${LAST_USED_PRECISION}`),
        ]),
      )
      .execute();
  }
  return row as ApiKey;
}

export async function countKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}
