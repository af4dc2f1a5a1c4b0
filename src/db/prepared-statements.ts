import { createHash } from 'node:crypto';
import type pg from 'pg';

/** SQL text → statement name, for the queries that may be prepared (see `preparable`). */
const names = new Map<string, string>();
/**
 * Unfiltered listings differ by `fields=` and paging mode, so clients choose how many texts there are:
 * past this many, further ones run unnamed, which bounds the statements each connection keeps.
 */
const MAX_PREPARED = 500;

/**
 * Lets a query run as a named prepared statement on the server engine: Postgres parses it once per
 * connection and, once it has seen that a generic plan costs no more, stops planning it too. Only for
 * queries whose best plan does not depend on their values (lookups by a unique key): every other query
 * runs unnamed, which Postgres plans for its actual values each time, so a rare and a common search term,
 * or a small and a big category, each get their own plan.
 */
export function preparable(text: string): void {
  if (!names.has(text) && names.size < MAX_PREPARED)
    names.set(text, `nd_${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`);
}

/** Runs a connection's preparable queries as named statements (Kysely calls `client.query(text, values)`). */
export function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === 'string' ? names.get(text) : undefined;
    return name ? query({ name, text, values }, callback) : query(text, values, callback);
  }) as typeof client.query;
}
