import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import fp from 'fastify-plugin';
import { STORABLE_INSTANT } from '../db/timestamps.ts';
import { isDatabaseUnavailable, isPostgresError, problemFromPostgres } from './postgres-errors.ts';
import { type FieldError, Problem, problemType } from './problems.ts';
import { TEXT_PATTERN_MESSAGES } from './text.ts';

const LOCATION: Record<string, FieldError['location']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function fieldErrorOf(error: FastifySchemaValidationError, location: FieldError['location']): FieldError {
  const params = error.params as Record<string, unknown>;
  let path = error.instancePath || '';
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    path += `/${params.missingProperty}`;
    message = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    path += `/${params.additionalProperty}`;
    message = `is not a known ${location === 'query' ? 'query parameter' : 'field'}`;
  } else if (error.keyword === 'pattern' && TEXT_PATTERN_MESSAGES[params.pattern as string]) {
    message = TEXT_PATTERN_MESSAGES[params.pattern as string] as string;
  } else if (error.keyword === 'format' && params.format === 'date-time') {
    message = STORABLE_INSTANT;
  } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `must be one of: ${params.allowedValues.join(', ')}`;
  }
  return { path: path || '/', location, message };
}

function describe(errors: FieldError[]): string {
  return errors
    .map(
      (e) =>
        `${e.location === 'query' ? 'query parameter' : e.location === 'path' ? 'path parameter' : 'field'} '${e.path.slice(1) || '(root)'}' ${e.message}`,
    )
    .join('; ');
}

export function validationProblem(error: FastifyError): Problem {
  const location = LOCATION[error.validationContext ?? 'body'] ?? 'body';
  const seen = new Set<string>();
  const errors = (error.validation ?? [])
    .map((e) => fieldErrorOf(e, location))
    .filter((e) => {
      const key = `${e.path}|${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return new Problem(400, 'validation', 'Invalid request', describe(errors), { errors });
}

const FASTIFY_PROBLEMS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large', 'Content Too Large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'Unsupported Media Type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-request', 'Bad Request'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-body', 'Malformed body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-body', 'Malformed body'],
};

function toProblem(error: FastifyError): Problem | undefined {
  if ((error as unknown) instanceof Problem) return error as unknown as Problem;
  if (error.validation) return validationProblem(error);
  if (isDatabaseUnavailable(error)) {
    return new Problem(
      503,
      'database-unavailable',
      'Service Unavailable',
      'The database is unavailable; retry shortly.',
      {},
      {
        'retry-after': '5',
      },
    );
  }
  if (isPostgresError(error as unknown)) return problemFromPostgres(error as never);
  const known = error.code ? FASTIFY_PROBLEMS[error.code] : undefined;
  if (known) return new Problem(known[0], known[1], known[2], error.message);
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new Problem(
      400,
      'malformed-body',
      'Malformed body',
      `The body is not valid JSON: ${error.message}`,
    );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new Problem(status, 'bad-request', 'Bad Request', error.message);
  return undefined;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem) {
  return reply
    .headers(problem.headers)
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send({
      type: problemType(problem.code),
      title: problem.title,
      status: problem.status,
      detail: problem.message,
      instance: request.url,
      ...problem.extras,
    });
}

const ROUTER_PROBLEMS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The path is not valid percent-encoded UTF-8.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is longer than any id or slug.',
};

/** What a client sees of a failure that is ours: nothing of its internals. */
const internalError = () =>
  new Problem(
    500,
    'internal',
    'Internal Server Error',
    'Something went wrong on our side; it has been logged.',
  );

/**
 * For Fastify's `frameworkErrors` option. Its router answers some requests itself, before any hook or the
 * error handler runs: a path that is not valid percent-encoding, or a segment over `maxParamLength` (a 414).
 * Without this they are Fastify's own JSON; with it, problem+json like every other error, and both a 400
 * (the request is malformed), which every operation declares.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store'); // no route, so the app's onSend hooks do not run
  const detail = error.code ? ROUTER_PROBLEMS[error.code] : undefined;
  if (detail) return sendProblem(reply, request, new Problem(400, 'bad-request', 'Bad Request', detail));
  request.log.error({ err: error }, 'unexpected router error');
  return sendProblem(reply, request, internalError());
}

/** What Node's HTTP parser refuses before Fastify sees a request, by the parser's error code. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'The request did not arrive in time.'],
  HPE_HEADER_OVERFLOW: [
    431,
    'headers-too-large',
    'The request line and headers are larger than this server accepts; a long query belongs in fewer or shorter parameters.',
  ],
};

/**
 * For Fastify's `clientErrorHandler` option: a request Node's HTTP parser cannot read (headers too large,
 * a malformed header line or Content-Length, bytes that are not HTTP) is answered with problem+json too,
 * like every other error, then the connection is closed, as Node and Fastify do.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'bad-request',
    'The request is not valid HTTP/1.1 (a malformed request line, header or Content-Length).',
  ];
  const body = JSON.stringify({ type: problemType(code), title: STATUS_CODES[status], status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** One place turns every failure into problem+json; 5xx never carry internals. */
export const errorHandler = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = toProblem(error);
      if (problem) {
        if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
        return sendProblem(reply, request, problem);
      }
      request.log.error({ err: error }, 'unexpected error');
      return sendProblem(reply, request, internalError());
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        reply,
        request,
        new Problem(
          404,
          'route-not-found',
          'Not Found',
          `There is no route ${request.method} ${request.url.split('?')[0]}.`,
        ),
      ),
    );
  },
  { name: 'error-handler' },
);
