export interface FieldError {
  /** JSON pointer into the part of the request named by `location`. */
  path: string;
  location?: 'body' | 'query' | 'path' | 'header';
  message: string;
}

/** A failure with a stable code, rendered as application/problem+json (RFC 9457) by the error handler. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extras: { errors?: FieldError[]; [key: string]: unknown } = {},
    /** Response headers that belong with the problem (WWW-Authenticate, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const problemType = (code: string) => `urn:newsdesk:problem:${code}`;

export const notFound = (what: string, idOrSlug: string | number) =>
  new Problem(404, 'not-found', 'Not Found', `No ${what} with id or slug '${idOrSlug}'.`);

export const invalid = (errors: FieldError[], detail = errors.map((e) => e.message).join('; ')) =>
  new Problem(400, 'validation', 'Invalid request', detail, { errors });

export const conflict = (code: string, detail: string, extras: Record<string, unknown> = {}) =>
  new Problem(409, code, 'Conflict', detail, extras);
