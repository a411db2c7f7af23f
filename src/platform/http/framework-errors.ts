import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GeneralErrors } from '../errors/general.errors';

/**
 * Fastify answers some requests before any route, hook or filter runs: a URL it cannot decode
 * (FST_ERR_BAD_URL), a path parameter past the router's length limit (FST_ERR_MAX_PARAM_LENGTH).
 * Both are malformed requests: bad_request in the envelope, with the request id.
 */
export function onFrameworkError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long.'
      : 'The URL is malformed (an invalid percent-escape?).';
  void reply
    .status(GeneralErrors.badRequest.status)
    .header('X-Request-Id', req.id)
    .header('Cache-Control', 'no-store')
    .send({ message, code: GeneralErrors.badRequest.code, request_id: req.id });
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers too large, obs-fold,
 * Transfer-Encoding with Content-Length, garbage): 400 bad_request in the envelope (the catalogue
 * code's status, not 431/408), then close, as Node would.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const requestId = randomUUID();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const body = JSON.stringify({
      message: tooLarge
        ? 'The request headers are too large.'
        : timedOut
          ? 'The request was not received in time.'
          : 'The request is not valid HTTP.',
      code: GeneralErrors.badRequest.code,
      request_id: requestId,
    });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
