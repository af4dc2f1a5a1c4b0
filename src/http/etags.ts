import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from './problems.ts';

export type ResourceKind = 'article' | 'source' | 'category';

interface Versioned {
  id: number;
  revision: number;
}

/**
 * A strong ETag from the row's revision, which changes with every write: the same for every reader,
 * computed without serialising anything, and checkable inside the writing transaction.
 */
export const revisionEtag = (kind: ResourceKind, row: Versioned) => `"${kind}-${row.id}-r${row.revision}"`;

export function setRevisionEtag(reply: FastifyReply, kind: ResourceKind, row: Versioned): void {
  reply.header('etag', revisionEtag(kind, row));
}

/**
 * A strong ETag for a listing, from what decides its content: the request URL, each row's id and revision
 * (and those of included resources) and the page metadata. Hashing these few numbers instead of the
 * serialised body (40 KB for 20 full articles) keeps a list's 304 and 200 cheap.
 */
export function listEtag(url: string, versions: unknown): string {
  return `"list-${createHash('sha1').update(url).update(JSON.stringify(versions)).digest('base64url')}"`;
}

/** Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks for If-None-Match). */
export function ifNoneMatchHits(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** Called by a write once it holds the row: refuses with 412 when `If-Match` names another version. */
export type VersionCheck = (current: Versioned) => void;

export function ifMatchCheck(request: FastifyRequest, kind: ResourceKind): VersionCheck | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const accepted = header.split(',').map((tag) => tag.trim());
  return (current) => {
    const etag = revisionEtag(kind, current);
    if (!accepted.includes(etag)) {
      throw new Problem(
        412,
        'stale-version',
        'Precondition Failed',
        `The ${kind} has changed since you read it (now ${etag}); fetch it again and reapply your change.`,
        { current_etag: etag, current_revision: current.revision },
        { etag },
      );
    }
  };
}

/** Weak comparison (RFC 9110, 8.8.3.2): `W/"x"` and `"x"` name the same representation. */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/**
 * Conditional GET: a 304 when a GET or HEAD would be answered 2xx with an ETag the client already has
 * (`If-None-Match`, a list or `*`). Register after @fastify/etag with `replyWith304: false`: on its own
 * it compares whatever is sent, so an error or a write could come back as a 304, which RFC 9110 (13.1.2,
 * 13.2.1) rules out.
 */
export const notModified = fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', (request, reply, payload, done) => {
      const header = request.headers['if-none-match'];
      const etag = reply.getHeader('etag');
      const revalidated =
        header !== undefined &&
        typeof etag === 'string' &&
        (request.method === 'GET' || request.method === 'HEAD') &&
        reply.statusCode >= 200 &&
        reply.statusCode < 300 &&
        (header.trim() === '*' || header.split(',').some((tag) => opaque(tag) === opaque(etag)));
      if (!revalidated) return done(null, payload);
      reply.code(304);
      done(null, '');
    });
  },
  { name: 'not-modified' },
);
