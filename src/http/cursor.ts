import { invalid } from './problems.ts';

/** Where the previous page ended: the sort key's values of its last row, then the row's id. */
export type CursorValues = readonly (string | number | null)[];

interface CursorPayload {
  /** The sort the cursor belongs to; a cursor is only valid for the same sort. */
  s: string;
  v: CursorValues;
}

export function encodeCursor(sort: string, values: CursorValues): string {
  return Buffer.from(JSON.stringify({ s: sort, v: values } satisfies CursorPayload)).toString('base64url');
}

const badCursor = (message: string) => invalid([{ path: '/cursor', location: 'query', message }]);

export function decodeCursor(cursor: string, sort: string, arity: number): CursorValues {
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('is not a cursor this API issued');
  }
  const { s, v } = (payload ?? {}) as Partial<CursorPayload>;
  if (typeof s !== 'string' || !Array.isArray(v) || v.length !== arity) {
    throw badCursor('is not a cursor this API issued');
  }
  if (s !== sort) throw badCursor(`belongs to sort=${s}, not sort=${sort}; start again without a cursor`);
  const id = v[arity - 1];
  if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) > 2147483647) {
    throw badCursor('is not a cursor this API issued');
  }
  if (!v.every((value) => value === null || typeof value === 'string' || typeof value === 'number')) {
    throw badCursor('is not a cursor this API issued');
  }
  return v;
}
