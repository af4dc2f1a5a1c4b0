import type { Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../db/types.ts';

/** Who made a change: the API key, or nobody (scripts such as the demo seed). */
export type Actor = { id: number; name: string } | null;

export async function recordAudit(
  db: Kysely<Database>,
  entry: {
    resource: AuditLogTable['resource'];
    resourceId: number;
    action: string;
    changes?: object;
    actor: Actor;
  },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      resource: entry.resource,
      resource_id: entry.resourceId,
      action: entry.action,
      changes: JSON.stringify(entry.changes ?? {}),
      key_id: entry.actor?.id ?? null,
      key_name: entry.actor?.name ?? null,
    })
    .execute();
}

export async function listAudit(
  db: Kysely<Database>,
  filter: { resource?: AuditLogTable['resource']; resourceId?: number; limit: number },
) {
  let query = db
    .selectFrom('audit_log')
    .select(['id', 'resource', 'resource_id', 'action', 'changes', 'key_id', 'key_name', 'created_at'])
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.resource) query = query.where('resource', '=', filter.resource);
  if (filter.resourceId !== undefined) query = query.where('resource_id', '=', filter.resourceId);
  return query.execute();
}
