import { type FieldError, Problem } from './problems.ts';

interface PostgresError {
  code: string;
  constraint?: string;
  detail?: string;
  message: string;
}

export function isPostgresError(error: unknown): error is PostgresError {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Constraint names follow `<table>_<column>_<kind>`, so the offending field can be named. */
function fieldOf(constraint: string | undefined): string | undefined {
  const match = constraint?.match(/^(?:articles|sources|categories)_(.+?)_(?:key|fkey|check)$/);
  return match?.[1];
}

const fieldErrors = (field: string | undefined, message: string): FieldError[] =>
  field ? [{ path: `/${field}`, location: 'body', message }] : [];

/**
 * The database is the last line of defence for data rules; whatever it refuses is the client's mistake
 * (4xx) unless it is an outage or a bug. Returns undefined for errors that are not the client's.
 */
export function problemFromPostgres(error: PostgresError): Problem | undefined {
  const field = fieldOf(error.constraint);
  switch (error.code) {
    case '23505': {
      const value = error.detail?.match(/=\((.*)\) already exists/)?.[1];
      const detail = `${field ?? 'value'} ${value ? `'${value}' ` : ''}is already taken.`;
      return new Problem(409, `${field ?? 'unique'}-taken`, 'Conflict', detail, {
        errors: fieldErrors(field, detail),
      });
    }
    case '23503': {
      if (error.message.includes('still referenced') || error.detail?.includes('is still referenced')) {
        return new Problem(
          409,
          'still-referenced',
          'Conflict',
          'Other content still refers to this resource.',
        );
      }
      const detail = `${field ?? 'reference'} points to something that does not exist.`;
      return new Problem(422, 'unknown-reference', 'Unknown reference', detail, {
        errors: fieldErrors(field, detail),
      });
    }
    case '23514':
    case '23502': {
      const detail = `${field ?? 'a field'} breaks a data rule (${error.constraint ?? error.code}).`;
      return new Problem(400, 'validation', 'Invalid request', detail, {
        errors: fieldErrors(field, detail),
      });
    }
    case '22021': // invalid byte sequence (e.g. a NUL byte)
    case '22P05': // unsupported Unicode escape in JSON (\u0000)
    case '22P02': // invalid text representation
    case '22003': // numeric value out of range
    case '22007': // invalid datetime format
    case '22008': // datetime field overflow
    case '22001': // value too long
    case '54000': // e.g. index row too large
      return new Problem(
        400,
        'validation',
        'Invalid request',
        `The database cannot store a value: ${error.message}`,
      );
    case '57014': // statement_timeout cancelled the query
    case '40001': // serialization failure
    case '40P01': // deadlock detected
      return new Problem(
        503,
        'database-busy',
        'Service Unavailable',
        'The database could not finish this request in time; retry shortly.',
        {},
        { 'retry-after': '2' },
      );
    default:
      return undefined;
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** The database is down, restarting, unreachable or out of connections: the client should retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(
      message,
    )
  );
}
