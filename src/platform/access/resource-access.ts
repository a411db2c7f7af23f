import { AppError, type ErrorDefinition } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import type { Principal } from './principal';

/**
 * What a caller is to one resource. `admin` is the platform role (granted to every admin on
 * every resource kind that lists it for an action); the others are relations of the caller to
 * the resource: its owner (track owner, buyer, license holder, request creator, playlist owner),
 * a credited collaborator, a playlist editor or viewer.
 */
export type Role = 'owner' | 'collaborator' | 'editor' | 'viewer' | 'admin';

export interface ResourceAccessSpec<T, A extends string> {
  /** The relations the caller holds on the resource (without `admin`, which is added here). */
  relations(resource: T, principal: Principal | undefined): readonly Role[];
  /** Whether anyone, signed in or not, may see the resource (a public track, a public playlist). */
  isPublic?(resource: T): boolean;
  /** Which roles may do each action; `'public'` lets anyone who may see the resource do it. */
  actions: Record<A, readonly Role[] | 'public'>;
  /** The action that decides visibility: a caller who may not do it gets `notFound`. */
  see: A;
  /** Answered for a missing resource, or one the caller may not see (never reveal it exists). */
  notFound: ErrorDefinition;
  /** Answered when the caller sees the resource but may not do the action (default: forbidden). */
  denied?: ErrorDefinition | Partial<Record<A, ErrorDefinition>>;
}

export interface ResourceAccess<T, A extends string> {
  /** The caller's roles on the resource, `admin` included when the caller is an admin. */
  roles(resource: T, principal: Principal | undefined): Set<Role>;
  /** May the caller do `action` to the resource? */
  can(principal: Principal | undefined, action: A, resource: T): boolean;
  /**
   * The resource when the caller may do `action` to it; else `notFound` (missing, or not even
   * visible to the caller) or the action's `denied` error (visible, but not this action).
   * `denied` overrides that error where a route's contract names its own code for the refusal.
   */
  assert<R extends T>(
    principal: Principal | undefined,
    action: A,
    resource: R | null | undefined,
    denied?: ErrorDefinition,
  ): R;
  /** The resources of a list the caller may do `action` to, in their order. */
  filter<R extends T>(principal: Principal | undefined, action: A, resources: readonly R[]): R[];
}

/**
 * One access helper per resource kind (the model is immich's `utils/access.ts`): every
 * ownership, membership and admin check of that kind goes through it, so the rules cannot drift
 * between routes, and the same helper decides what a list shows. Services call it; they never
 * compare `ownerId === principal.userId` inline.
 */
export function defineResourceAccess<T, A extends string>(
  spec: ResourceAccessSpec<T, A>,
): ResourceAccess<T, A> {
  const roles = (resource: T, principal: Principal | undefined): Set<Role> => {
    const out = new Set<Role>(principal ? spec.relations(resource, principal) : []);
    if (principal?.role === 'admin') out.add('admin');
    return out;
  };
  const allowed = (have: Set<Role>, action: A, resource: T): boolean => {
    const rule = spec.actions[action];
    if (rule === 'public') return (spec.isPublic?.(resource) ?? false) || have.size > 0;
    return rule.some((r) => have.has(r));
  };
  const deniedError = (action: A): ErrorDefinition => {
    const d = spec.denied;
    if (!d) return GeneralErrors.forbidden;
    if ('code' in d && typeof d.code === 'string') return d;
    return (d as Partial<Record<A, ErrorDefinition>>)[action] ?? GeneralErrors.forbidden;
  };
  return {
    roles,
    can: (principal, action, resource) => allowed(roles(resource, principal), action, resource),
    assert(principal, action, resource, denied) {
      if (resource === null || resource === undefined) throw new AppError(spec.notFound);
      const have = roles(resource, principal);
      if (!allowed(have, spec.see, resource)) throw new AppError(spec.notFound);
      if (!allowed(have, action, resource)) throw new AppError(denied ?? deniedError(action));
      return resource;
    },
    filter: (principal, action, resources) =>
      resources.filter((r) => allowed(roles(r, principal), action, r)),
  };
}
