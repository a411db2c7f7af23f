import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { MaintenanceService } from '../maintenance/maintenance.service';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ACCESS_METADATA, AccessPolicy } from './access.decorator';
import { AccessErrors } from './access.errors';
import { Principal, PrincipalResolver } from './principal';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer …` header (what the guard resolved), if well-formed. */
export const bearerToken = (header: string | undefined): string | undefined =>
  header ? BEARER.exec(header)?.[1] : undefined;

/**
 * The one gate in front of every route, in this order: anonymous routes skip identification
 * (only maintenance applies); otherwise identify the caller from the bearer token, and refuse a
 * token that failed (expired, revoked, malformed) whatever the route, public ones included;
 * hide admin routes from non-admins (route_not_found); refuse a suspended caller; require a
 * caller on user routes; maintenance mode; token scopes (public routes included).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: PrincipalResolver,
    private readonly maintenance: MaintenanceService,
    private readonly rateLimit: RateLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    // The boot-time audit makes this unreachable; fail closed if it ever is not.
    if (!policy) throw new AppError(GeneralErrors.internalError);
    const req = context.switchToHttp().getRequest<FastifyRequest>();

    if (policy.kind === 'anonymous') {
      if (!policy.maintenanceExempt) await this.maintenance.assertOpen();
      return true;
    }

    const { principal, failure } = await this.identify(req.headers.authorization);
    // A token that was sent but does not work is answered as such on every route, so a client
    // learns to refresh instead of silently getting the anonymous view.
    if (failure) {
      // refused before the rate-limit guard runs: a presented token that failed spends the per-IP budget
      await this.rateLimit.chargeAnonymous(context);
      throw failure;
    }
    if (policy.kind === 'admin' && principal?.role !== 'admin')
      throw new AppError(GeneralErrors.routeNotFound);
    if (principal?.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
    req.principal = principal;
    if (policy.kind === 'user' && !principal) throw new AppError(AccessErrors.unauthenticated);
    if (!(policy.kind === 'public' && policy.maintenanceExempt) && principal?.role !== 'admin') {
      await this.maintenance.assertOpen();
    }
    if (principal?.scopes) {
      const needed = policy.kind === 'admin' ? 'admin' : policy.scope;
      if (needed && !principal.scopes.includes(needed)) throw new AppError(GeneralErrors.forbidden);
    }
    return true;
  }

  private async identify(header: string | undefined): Promise<{ principal?: Principal; failure?: AppError }> {
    if (!header) return {};
    const match = BEARER.exec(header);
    if (!match) return { failure: new AppError(AccessErrors.unauthenticated) };
    try {
      return { principal: await this.resolver.resolve(match[1]) };
    } catch (e) {
      if (isAppError(e)) return { failure: e };
      throw e;
    }
  }
}
