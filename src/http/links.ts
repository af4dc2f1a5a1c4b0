import type { FastifyReply, FastifyRequest } from 'fastify';

/** Sets `Link: <...>; rel="next"` from the current request with `next` parameters swapped in. */
export function setNextLink(
  request: FastifyRequest,
  reply: FastifyReply,
  publicBaseUrl: string,
  next: Record<string, string> | undefined,
): void {
  if (!next) return;
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.delete('cursor');
  url.searchParams.delete('page');
  for (const [key, value] of Object.entries(next)) url.searchParams.set(key, value);
  reply.header('link', `<${publicBaseUrl}${url.pathname}${url.search}>; rel="next"`);
}
