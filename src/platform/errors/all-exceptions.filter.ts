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
