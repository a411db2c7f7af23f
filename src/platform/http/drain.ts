import type { FastifyReply, FastifyRequest } from 'fastify';

/** An unread request body up to this size is read and discarded; a larger one closes the connection. */
const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

/**
 * onSend: an answer given before the request body was read (a multipart limit, an early 4xx)
 * must not leave the body in the socket, or the next request on the keep-alive connection waits
 * behind it. A small remainder is drained so the connection stays usable; a large or unknown
 * one is not worth reading: the answer says `Connection: close` and the socket ends with it.
 */
export function releaseUnreadBody(req: FastifyRequest, reply: FastifyReply): void {
  const raw = req.raw;
  if (raw.complete || raw.destroyed) return;
  const declared = Number(raw.headers['content-length']);
  raw.unpipe(); // a parser (busboy) that gave up stops pulling, and must not get more
  if (Number.isFinite(declared) && declared <= DRAIN_MAX_BYTES) {
    raw.on('error', () => undefined);
    raw.resume();
    return;
  }
  void reply.header('Connection', 'close');
  raw.resume();
}
