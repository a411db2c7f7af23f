import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal, Scope } from './principal';

export const ACCESS_METADATA = 'access:policy';

export type AccessPolicy =
  /** anyone; a caller who presents a token is identified and its token must hold `scope` */
  | { kind: 'public'; scope: Scope; maintenanceExempt: boolean }
  /** anyone, and no one is identified: the Authorization header is not read */
  | { kind: 'anonymous'; maintenanceExempt: boolean }
  /** a signed-in caller; a personal access token must hold `scope` (null: any token) */
  | { kind: 'user'; scope: Scope | null }
  | { kind: 'admin' };

const declare = (policy: AccessPolicy, description: string, bearer: boolean) =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, policy),
    ApiExtension('x-access', description),
    ...(bearer ? [ApiBearerAuth()] : []),
  );

const exempt = (on: boolean | undefined) => (on ? ' (maintenance-exempt)' : '');

/**
 * Who may call a route. Exactly one of these on every route (or its controller); the app refuses
 * to boot with a route that has none, and the OpenAPI document shows it as `x-access` + security.
 *
 * Token scopes apply wherever a route acts for its caller, public routes included: a personal
 * access token lacking the route's scope is `forbidden` (never silently served as anonymous),
 * and a token that is expired, revoked or malformed is answered `token_expired` /
 * `unauthenticated` instead of being ignored, so a client knows to refresh.
 */
export const Access = {
  /**
   * Anyone, signed in or not. A caller who sends a token is identified (a suspended one is
   * refused, an expired token is `token_expired`), and a personal access token needs `scope`.
   */
  public: (opts: { scope: Scope; maintenanceExempt?: boolean }) =>
    declare(
      { kind: 'public', scope: opts.scope, maintenanceExempt: opts.maintenanceExempt ?? false },
      `public (token scope ${opts.scope})${exempt(opts.maintenanceExempt)}`,
      false,
    ),
  /**
   * Anyone, and the route never acts for a caller: the Authorization header is not read (sign-in
   * and recovery flows, health, the error catalogue, signed links, webhooks). A stale token sent
   * along is ignored, so a client with an expired access token can still refresh.
   */
  anonymous: (opts: { maintenanceExempt?: boolean } = {}) =>
    declare(
      { kind: 'anonymous', maintenanceExempt: opts.maintenanceExempt ?? false },
      `anonymous${exempt(opts.maintenanceExempt)}`,
      false,
    ),
  /**
   * A signed-in user; a personal access token needs `scope`. `null` lets any token through, for
   * the one route that only ends the credential it is called with (logout).
   */
  user: (scope: Scope | null) =>
    declare({ kind: 'user', scope }, scope ? `user (token scope ${scope})` : 'user (any token)', true),
  /** Admins only; anyone else gets route_not_found. Personal access tokens need scope `admin`. */
  admin: () => declare({ kind: 'admin' }, 'admin (token scope admin)', true),
};

const currentPrincipal = (_data: unknown, ctx: ExecutionContext): Principal =>
  ctx.switchToHttp().getRequest<FastifyRequest>().principal as Principal;
const optionalPrincipal = (_data: unknown, ctx: ExecutionContext): Principal | undefined =>
  ctx.switchToHttp().getRequest<FastifyRequest>().principal;
/** The parameter factories that read the caller (the access audit refuses them on anonymous routes). */
export const PRINCIPAL_PARAM_FACTORIES: readonly unknown[] = [currentPrincipal, optionalPrincipal];

/** The authenticated caller (on `Access.user` / `Access.admin` routes it is always set). */
export const CurrentPrincipal = createParamDecorator(currentPrincipal);

/** The caller if any (`Access.public` routes; `Access.anonymous` ones may not ask for it). */
export const OptionalPrincipal = createParamDecorator(optionalPrincipal);
