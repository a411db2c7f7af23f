import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal, Scope } from './principal';

export const ACCESS_METADATA = 'access:policy';

export type AccessPolicy =
  | { kind: 'public'; maintenanceExempt: boolean }
  | { kind: 'user'; scope: Scope }
  | { kind: 'admin' };

const declare = (policy: AccessPolicy, description: string, bearer: boolean) =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, policy),
    ApiExtension('x-access', description),
    ...(bearer ? [ApiBearerAuth()] : []),
  );

/**
 * Who may call a route. Exactly one of these on every route (or its controller); the app refuses
 * to boot with a route that has none, and the OpenAPI document shows it as `x-access` + security.
 */
export const Access = {
  /** Anyone. A valid token still identifies the caller (and a suspended caller is refused). */
  public: (opts: { maintenanceExempt?: boolean } = {}) =>
    declare(
      { kind: 'public', maintenanceExempt: opts.maintenanceExempt ?? false },
      opts.maintenanceExempt ? 'public (maintenance-exempt)' : 'public',
      false,
    ),
  /** A signed-in user; personal access tokens need `scope`. */
  user: (scope: Scope) => declare({ kind: 'user', scope }, `user (token scope ${scope})`, true),
  /** Admins only; anyone else gets route_not_found. Personal access tokens need scope `admin`. */
  admin: () => declare({ kind: 'admin' }, 'admin (token scope admin)', true),
};

/** The authenticated caller (on `Access.user` / `Access.admin` routes it is always set). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<FastifyRequest>().principal as Principal;
});

/** The caller if any (public routes). */
export const OptionalPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined =>
    ctx.switchToHttp().getRequest<FastifyRequest>().principal,
);
