import { type Static, type TSchema, Type } from 'typebox';

/** `$ref` to a named component, typed as the schema it points to so handlers stay typed. */
/**
 * A string or integer that may be null, as `type: [T, "null"]`: the response serialiser checks that with
 * a typeof, where a `anyOf` with null would run a schema validation for every value of every row.
 */
export function orNull<T extends TSchema & { type: string }>(
  schema: T,
): ReturnType<typeof Type.Unsafe<Static<T> | null>> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

export function ref<T extends TSchema & { $id?: string }>(schema: T): T {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id');
  return Type.Ref(schema.$id) as unknown as T;
}

export const FieldErrorSchema = Type.Object(
  {
    path: Type.String({
      description: 'JSON pointer to the offending value inside `location`.',
      examples: ['/title'],
    }),
    location: Type.Optional(Type.Enum(['body', 'query', 'path', 'header'])),
    message: Type.String({ examples: ['is required'] }),
  },
  { $id: 'FieldError', additionalProperties: false },
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'Stable identifier of the kind of problem (`urn:newsdesk:problem:<code>`).',
      examples: ['urn:newsdesk:problem:validation'],
    }),
    title: Type.String({ examples: ['Invalid request'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, examples: [400] }),
    detail: Type.String({ examples: ["field 'title' is required"] }),
    instance: Type.Optional(Type.String({ description: 'The request path and query.' })),
    errors: Type.Optional(Type.Array(ref(FieldErrorSchema), { description: 'One entry per invalid value.' })),
  },
  {
    $id: 'Problem',
    additionalProperties: true,
    description: 'An RFC 9457 problem detail, sent as `application/problem+json`.',
  },
);

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or a value is invalid; `errors` names each field.',
  401: 'No API key, or one that is not valid (see `WWW-Authenticate`).',
  403: 'The key lacks the scope this route needs.',
  404: 'No such resource.',
  408: 'The request did not arrive within the request timeout; the connection is closed.',
  409: 'The request conflicts with the current state (a taken slug, a resource still in use, a cycle).',
  412: '`If-Match` names a version that is no longer current; `current_etag` says which is.',
  413: 'The body is larger than the configured limit.',
  415: 'The body is not JSON.',
  422: 'A referenced resource (source_id, category_id, parent_id) does not exist.',
  429: 'Too many requests for this key or address; `Retry-After` says when to try again.',
  431: 'The request line and headers are larger than the server accepts; the connection is closed.',
  500: 'An unexpected failure; details are logged, never sent.',
  503: 'Overloaded, shutting down, or the database is unavailable or too slow; retry after `Retry-After` seconds.',
};

/** Response entries for the errors a route can answer, each a problem+json document. */
export function problemResponses(...statuses: number[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = {};
  for (const status of [...new Set([400, 401, 429, 500, 503, ...statuses])].sort()) {
    responses[status] = problemResponse(status);
  }
  return responses;
}

function problemResponse(status: number): TSchema {
  return {
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Error.',
    content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
  } as unknown as TSchema;
}

const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * What HTTP answers on any route of these methods, whatever the route declares: any request may arrive too
 * slowly or with headers too large (408, 431, answered before routing); a GET gives a 304 when
 * `If-None-Match` names its current ETag (@fastify/etag); a method that may carry a body has it refused when
 * it is too large or not JSON (413, 415), even on a route that takes none (a DELETE).
 */
export function protocolResponses(methods: readonly string[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = { 408: problemResponse(408), 431: problemResponse(431) };
  if (methods.includes('GET')) {
    responses[304] = Type.Null({ description: 'Not Modified: the ETag sent in `If-None-Match` is current.' });
  }
  if (methods.some((method) => BODY_METHODS.includes(method))) {
    responses[413] = problemResponse(413);
    responses[415] = problemResponse(415);
  }
  return responses;
}

export const IdOrSlugParams = Type.Object(
  {
    idOrSlug: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Numeric id or slug.',
      examples: ['42', 'news-updates'],
    }),
  },
  { additionalProperties: false },
);

export const PageMetaSchema = Type.Object(
  {
    limit: Type.Integer({ examples: [20] }),
    next_cursor: Type.Optional(
      Type.String({ description: 'Pass as `cursor=` for the next page; absent on the last page.' }),
    ),
    page: Type.Optional(Type.Integer({ description: 'The page number, when paging with `page=`.' })),
    total: Type.Optional(
      Type.Integer({ description: 'Number of matching items, with `total=exact|estimate`.' }),
    ),
    total_is_estimate: Type.Optional(Type.Boolean()),
  },
  { $id: 'PageMeta', additionalProperties: false },
);

export const pagingQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page.' }),
  ),
  cursor: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'Opaque cursor from `meta.next_cursor` of the previous page.',
    }),
  ),
  page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100000,
      description: 'Page number (1-based), for page-number interfaces; cannot be combined with `cursor`.',
    }),
  ),
  total: Type.Optional(
    Type.Union([Type.Literal('exact'), Type.Literal('estimate'), Type.Literal('none')], {
      default: 'none',
      description:
        'Add `meta.total`: counted exactly, or estimated by the query planner (fast on large tables).',
    }),
  ),
};

export const sharedSchemas = [FieldErrorSchema, ProblemSchema, PageMetaSchema];

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The ETag you read (e.g. `"article-5-r3"`): the write happens only if the resource is still at that version, else 412.',
      examples: ['"article-5-r3"'],
    }),
  ),
});
