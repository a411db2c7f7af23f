import type { FastifyInstance, RouteOptions } from 'fastify';
import type { AppConfig } from '../../config/config';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { etagHook } from './etag';
import type { RouteFlags } from './route-flags';

const kDeadline = Symbol('deadline');
type WithDeadline = { [kDeadline]?: NodeJS.Timeout };

/**
 * Installs, as routes are registered, the request deadline (504 request_timeout once a request
 * has run REQUEST_TIMEOUT_MS: the answer goes through the error filter like any error; a handler
 * finishing later finds its reply sent) and the ETag of @ETagged routes. Fastify hooks attached
 * to the routes that need them, not Nest interceptors: an interceptor costs every request an rxjs
 * pipeline and two async resources (~10 % of the CPU of GET /health, docs/perf/reads.md).
 */
export function registerRouteHooks(fastify: FastifyInstance, config: AppConfig): void {
  const ms = config.requestTimeoutMs;
  const expire = (reply: Parameters<RouteOptions['handler']>[1]) => {
    if (reply.sent || reply.raw.destroyed) return;
    void reply.send(new AppError(GeneralErrors.requestTimeout));
  };
  const arm: NonNullable<RouteOptions['onRequest']> = (req, reply, done) => {
    // unref'd: a request the client abandoned must not hold a stopping process open
    (req as WithDeadline)[kDeadline] = setTimeout(expire, ms, reply).unref();
    done();
  };
  const disarm: NonNullable<RouteOptions['onResponse']> = (req, _reply, done) => {
    clearTimeout((req as WithDeadline)[kDeadline]);
    done();
  };
  const list = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : ([] as T[]).concat(hooks));
  fastify.addHook('onRoute', (route) => {
    const flags = (route.config ?? {}) as RouteFlags;
    if (!flags.noDeadline) {
      route.onRequest = [...list(route.onRequest), arm] as RouteOptions['onRequest'];
      route.onResponse = [...list(route.onResponse), disarm] as RouteOptions['onResponse'];
    }
    if (flags.etag) {
      route.preSerialization = [
        ...list(route.preSerialization),
        etagHook,
      ] as RouteOptions['preSerialization'];
    }
  });
}
