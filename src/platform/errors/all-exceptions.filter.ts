import { ArgumentsHost, Catch, ExceptionFilter, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RouteRegistry, UnmatchedRoute } from '../http/route-registry';
import { AppError } from './app-error';
import { toErrorResponse } from './error-response';
import { GeneralErrors } from './general.errors';

/**
 * Every error leaves through here: the envelope, the request id, a 405 for a known path with the
 * wrong method, and — for 500s — the cause in the log, never in the body.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly routes: RouteRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();

    let error = exception;
    // Nest's not-found handler throws a NotFoundException for any unmatched request; catch-all
    // routes throw UnmatchedRoute after their guard.
    if (
      exception instanceof UnmatchedRoute ||
      (exception instanceof NotFoundException && !req.routeOptions?.url)
    ) {
      const allowed = this.routes.allowedMethods(req.url);
      if (allowed.length) {
        error = new AppError(GeneralErrors.methodNotAllowed, { headers: { Allow: allowed.join(', ') } });
      }
    }

    // The client hung up mid-request (a cut upload): the stream's error is the client's doing, not
    // a server fault. Nobody is left to answer; logged at info, never as internal_error.
    if (clientClosed(req, exception)) {
      req.log.info(
        { code: (exception as { code?: unknown }).code, method: req.method, url: req.url },
        'the client closed the connection before the answer',
      );
      return;
    }

    const response = toErrorResponse(error, req.id);
    if (response.logCause) {
      // req.log carries the request id (reqId); a logging failure must not change the answer
      try {
        req.log.error(
          { err: exception, code: response.body.code, method: req.method, url: req.url },
          `request failed with ${String(response.body.code)}`,
        );
      } catch {
        // the serializer is total (see serializeError); a broken destination is not the client's problem
      }
    }
    if (reply.sent) return;
    void reply.status(response.status).headers(response.headers).send(response.body);
  }
}

/** codes of a stream that ended because its peer went away */
const PEER_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The request's connection is gone and the error is what its going away raises. */
function clientClosed(req: FastifyRequest, exception: unknown): boolean {
  // the socket, not the request stream: a request whose body was read whole is `destroyed` too
  const gone = req.raw.socket?.destroyed === true || req.raw.readableAborted;
  if (!gone) return false;
  const e = exception as { code?: unknown; message?: unknown };
  return (
    (typeof e?.code === 'string' && PEER_GONE.has(e.code)) ||
    (typeof e?.message === 'string' && /^(Premature close|aborted)$/.test(e.message))
  );
}
