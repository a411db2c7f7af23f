import { NotFoundException } from '@nestjs/common';
import Router from 'find-my-way';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Every route the server registered, in a router of its own, so a request that matched nothing
 * can tell "no such path" (route_not_found) from "path exists, other methods" (method_not_allowed).
 */
export class RouteRegistry {
  private readonly router = Router({ ignoreTrailingSlash: true });

  add(method: string | string[], url: string): void {
    // catch-all routes (see UnmatchedRoute) are not a resource with methods of their own
    if (url.includes('*')) return;
    for (const m of Array.isArray(method) ? method : [method]) {
      if (!(METHODS as readonly string[]).includes(m)) continue;
      try {
        this.router.on(m as (typeof METHODS)[number], url, () => undefined);
      } catch {
        // duplicate registrations (e.g. HEAD shadows) are harmless here
      }
    }
  }

  allowedMethods(path: string): string[] {
    const clean = path.split('?')[0];
    return METHODS.filter((m) => this.router.find(m, clean) !== null);
  }
}

/**
 * Thrown by a catch-all route (the admin one) once its guard let the caller through: the error
 * filter answers it as it answers a request that matched no route (405 with Allow, or 404).
 */
export class UnmatchedRoute extends NotFoundException {}
