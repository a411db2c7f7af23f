import { isIP } from 'node:net';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { AppConfig } from '../../config/config';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { etagHook } from './etag';
import type { RouteFlags } from './route-flags';

const kDeadline = Symbol('deadline');
type WithDeadline = { [kDeadline]?: NodeJS.Timeout };

/**
 * The socket's peer, never `req.ip` (which TRUST_PROXY takes from X-Forwarded-For, a header any
 * client writes): 127.0.0.0/8, ::1, or an IPv4-mapped 127.x.
 */
export function fromLoopback(remoteAddress: string | undefined): boolean {
  if (!remoteAddress) return false;
  const address = remoteAddress.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

/** a request relayed by a proxy on the same machine arrives from loopback: it names its origin */
const RELAYED = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

const loopbackOnly: NonNullable<RouteOptions['onRequest']> = (req, _reply, done) => {
  const local = fromLoopback(req.raw.socket?.remoteAddress) && !RELAYED.some((h) => h in req.headers);
  done(local ? undefined : new AppError(GeneralErrors.routeNotFound));
};

/**
 * Installs, as routes are registered, the request deadline (504 request_timeout once a request
 * has run REQUEST_TIMEOUT_MS: the answer goes through the error filter like any error; a handler
 * finishing later finds its reply sent), the ETag of @ETagged routes and the loopback check of
 * @LoopbackOnly ones. Fastify hooks attached to the routes that need them, not Nest interceptors:
 * an interceptor costs every request an rxjs pipeline and two async resources (~10 % of the CPU of
 * GET /health, docs/perf/reads.md).
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
    // first, before the deadline is armed or a body is read
    if (flags.loopbackOnly) {
      route.onRequest = [loopbackOnly, ...list(route.onRequest)] as RouteOptions['onRequest'];
    }
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
