import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

/**
 * Per-route switches of the cross-cutting HTTP behaviour that is not a guard: read once, when the
 * route is registered, to attach Fastify hooks to the routes that need them (route-hooks.ts).
 */
export interface RouteFlags {
  /** the response carries `ETag` (its body's version) */
  etag?: true;
  /** no request deadline (the test harness's own hooks) */
  noDeadline?: true;
  /** answered only for a caller on this machine; anyone else gets route_not_found (the test hooks) */
  loopbackOnly?: true;
}

/** Sets flags on a handler, or on every handler of a controller class; merges with flags set before. */
export function routeFlags(flags: RouteFlags): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const proto = descriptor ? undefined : (target as { prototype: object }).prototype;
    const handlers: unknown[] = proto
      ? Object.getOwnPropertyNames(proto)
          .filter((name) => name !== 'constructor')
          .map((name): unknown => Object.getOwnPropertyDescriptor(proto, name)?.value)
      : [descriptor?.value];
    for (const handler of handlers) {
      if (typeof handler !== 'function') continue;
      const before = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as RouteFlags | undefined;
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...before, ...flags }, handler);
    }
  };
}

/**
 * The test hooks that do the harness's own work (running every queued job, moving the clock) are
 * not requests of a client: a test that shortens the deadline must not make its setup fail.
 */
export const NoDeadline = () => routeFlags({ noDeadline: true });

/**
 * Routes for the machine itself (the test harness's hooks): a request whose socket comes from
 * anywhere but loopback gets route_not_found, as if the route did not exist.
 */
export const LoopbackOnly = () => routeFlags({ loopbackOnly: true });
