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

/**
 * The one gate in front of every route, in this order: identify the caller from the bearer
 * token; refuse a suspended caller whatever route and token; hide admin routes from non-admins
 * (route_not_found); require a caller on user routes; maintenance mode; token scopes.
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
    const { principal, failure } = await this.identify(req.headers.authorization);
    if (principal?.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
    req.principal = principal;

    // refused before the rate-limit guard runs: a presented token that failed spends the per-IP budget
    if (failure && policy.kind !== 'public') await this.rateLimit.chargeAnonymous(context);
    if (policy.kind === 'admin' && principal?.role !== 'admin')
      throw new AppError(GeneralErrors.routeNotFound);
    if (policy.kind === 'user' && !principal) throw failure ?? new AppError(AccessErrors.unauthenticated);

    if (!(policy.kind === 'public' && policy.maintenanceExempt) && principal?.role !== 'admin') {
      await this.maintenance.assertOpen();
    }

    if (principal?.scopes) {
      const needed = policy.kind === 'admin' ? 'admin' : policy.kind === 'user' ? policy.scope : undefined;
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
