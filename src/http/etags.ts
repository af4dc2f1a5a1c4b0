import type { FastifyReply, FastifyRequest } from 'fastify';
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
