import { CompiledQuery, type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { preparable } from '../db/prepared-statements.ts';
import { isStorableInstant } from '../db/timestamps.ts';
import { type CursorValues, decodeCursor, encodeCursor } from './cursor.ts';
import { invalid } from './problems.ts';

export type KeyKind = 'timestamp' | 'text' | 'integer' | 'real';

export interface SortKey {
  /** SQL expression of the sort key (a column, or an expression an index serves). */
  expression: RawBuilder<unknown>;
  /** Property of a fetched row that holds the key's value. */
  field: string;
  kind: KeyKind;
}

/** A total order: its keys, then the row id, all in one direction so a row comparison can use an index. */
export interface SortSpec {
  name: string;
  direction: 'asc' | 'desc';
  keys: SortKey[];
  idExpression: RawBuilder<unknown>;
}

export interface PageRequest {
  /** Rows that `total=` counts, when they differ from the paged ones (e.g. a capped candidate set). */
  counted?: SelectQueryBuilder<any, any, any>;
  /** Count at most this many rows exactly; beyond it the total is reported as an estimate. */
  countCap?: number;
  limit?: number;
  /**
   * The page query's best plan is the same whatever its values (no filter but the sort order's own):
   * it may run as a prepared statement. Filtered queries are planned for their values every time.
   */
  prepared?: boolean;
  cursor?: string;
  page?: number;
  total?: 'exact' | 'estimate' | 'none';
}

export interface PageMeta {
  limit: number;
  next_cursor?: string;
  page?: number;
  total?: number;
  total_is_estimate?: boolean;
}

export interface Page<Row> {
  rows: Row[];
  meta: PageMeta;
  /** Query parameters that fetch the next page, when there is one. */
  next?: Record<string, string>;
}

const INT4_MAX = 2147483647;
/** Sort keys such as `coalesce(published_at, 'infinity')` put these in cursors. */
const INFINITIES = new Set(['infinity', '-infinity']);

function checkKey(value: CursorValues[number], kind: KeyKind): boolean {
  if (value === null) return true;
  if (kind === 'timestamp')
    return typeof value === 'string' && (INFINITIES.has(value) || isStorableInstant(value));
  if (kind === 'integer') return Number.isSafeInteger(value) && Math.abs(value as number) <= INT4_MAX;
  if (kind === 'real') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === 'string';
}

function castKey(value: CursorValues[number], kind: KeyKind): RawBuilder<unknown> {
  if (kind === 'timestamp') return sql`cast(${value} as timestamptz)`;
  if (kind === 'integer') return sql`cast(${value} as integer)`;
  if (kind === 'real') return sql`cast(${value} as real)`;
  return sql`cast(${value} as text)`;
}

/** Decodes a cursor for `spec` and checks each value has the kind of its key. */
export function cursorValues(spec: SortSpec, cursor: string): CursorValues {
  const values = decodeCursor(cursor, spec.name, spec.keys.length + 1);
  if (!spec.keys.every((key, i) => checkKey(values[i] ?? null, key.kind))) {
    throw invalid([{ path: '/cursor', location: 'query', message: 'is not a cursor this API issued' }]);
  }
  return values;
}

function afterCursor(spec: SortSpec, cursor: string): RawBuilder<boolean> {
  const values = cursorValues(spec, cursor);
  const keyValues = values.slice(0, -1);
  const left = sql.join([...spec.keys.map((key) => key.expression), spec.idExpression]);
  const right = sql.join([
    ...spec.keys.map((key, i) => castKey(keyValues[i] ?? null, key.kind)),
    sql`${values.at(-1)}`,
  ]);
  return spec.direction === 'desc'
    ? sql<boolean>`(${left}) < (${right})`
    : sql<boolean>`(${left}) > (${right})`;
}

/**
 * Runs a filtered query one page at a time: keyset paging by cursor (the default, flat at any depth),
 * or by page number; optionally counts or estimates the total.
 */
export async function paginate<Row extends { id: number }>(
  db: Kysely<any>,
  filtered: SelectQueryBuilder<any, any, any>,
  select: (query: SelectQueryBuilder<any, any, any>) => SelectQueryBuilder<any, any, Row>,
  spec: SortSpec,
  request: PageRequest,
): Promise<Page<Row>> {
  const limit = request.limit ?? 20;
  checkPagingMode(request);
  let query = select(filtered);
  if (request.cursor !== undefined) query = query.where(afterCursor(spec, request.cursor));
  for (const key of spec.keys) query = query.orderBy(sql`${key.expression} ${sql.raw(spec.direction)}`);
  query = query.orderBy(sql`${spec.idExpression} ${sql.raw(spec.direction)}`).limit(limit + 1);
  if (request.page !== undefined) query = query.offset((request.page - 1) * limit);

  const compiled = query.compile();
  if (request.prepared) preparable(compiled.sql);
  const [fetched, total] = await Promise.all([
    db.executeQuery(compiled).then((result) => result.rows),
    countTotal(db, request.counted ?? filtered, request.total ?? 'none', request.countCap),
  ]);
  return finishPage(fetched as Row[], spec, request, total);
}

/**
 * Turns the rows fetched for a page (one more than the limit, if there are more) into the page: its
 * meta, the next cursor from the last row's sort keys, and the parameters of the next page.
 */
export function finishPage<Row extends { id: number }>(
  fetched: Row[],
  spec: SortSpec,
  request: PageRequest,
  total: Pick<PageMeta, 'total' | 'total_is_estimate'> | undefined,
): Page<Row> {
  const limit = request.limit ?? 20;
  const rows = fetched.slice(0, limit);
  const meta: PageMeta = { limit };
  let next: Record<string, string> | undefined;
  const last = rows.at(-1);
  if (fetched.length > limit && last) {
    const record = last as unknown as Record<string, string | number | null>;
    meta.next_cursor = encodeCursor(spec.name, [
      ...spec.keys.map((key) => record[key.field] ?? null),
      last.id,
    ]);
    next = request.page !== undefined ? { page: String(request.page + 1) } : { cursor: meta.next_cursor };
  }
  if (request.page !== undefined) meta.page = request.page;
  if (total) Object.assign(meta, total);
  return { rows, meta, ...(next ? { next } : {}) };
}

/** A request pages by cursor or by number, not both. */
export function checkPagingMode(request: PageRequest): void {
  if (request.cursor !== undefined && request.page !== undefined) {
    throw invalid([{ path: '/page', location: 'query', message: 'cannot be combined with cursor' }]);
  }
}

export async function countTotal(
  db: Kysely<any>,
  filtered: SelectQueryBuilder<any, any, any>,
  mode: 'exact' | 'estimate' | 'none',
  cap: number | undefined,
): Promise<Pick<PageMeta, 'total' | 'total_is_estimate'> | undefined> {
  if (mode === 'none') return undefined;
  if (mode === 'exact' && cap !== undefined) {
    const capped = filtered
      .select(sql`1`.as('one'))
      .limit(cap + 1)
      .as('capped');
    const row = await db
      .selectFrom(capped)
      .select(sql<number>`count(*)::int`.as('total'))
      .executeTakeFirstOrThrow();
    return row.total > cap
      ? { total: cap, total_is_estimate: true }
      : { total: row.total, total_is_estimate: false };
  }
  if (mode === 'exact') {
    const row = await filtered.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow();
    return { total: row.total, total_is_estimate: false };
  }
  // The planner's row estimate costs a plan, not a scan: fast at any table size, and honest about it.
  const compiled = filtered.select(sql`1`.as('one')).compile();
  const explained = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
    CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]),
  );
  const plan = explained.rows[0]?.['QUERY PLAN'];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as [{ Plan: { 'Plan Rows': number } }];
  return { total: Math.round(parsed[0].Plan['Plan Rows']), total_is_estimate: true };
}
