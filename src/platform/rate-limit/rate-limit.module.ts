import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/config';
import { Clock } from '../clock/clock';
import { RedisService } from '../redis/redis.service';
import { RATE_LIMIT_GROUP, RateLimitGroup } from './rate-limit.decorator';
import { RateLimitGuard } from './rate-limit.guard';
import { WindowThrottlerStorage } from './window-storage';

const MINUTE = 60_000;
const reflector = new Reflector();
const requestOf = (ctx: ExecutionContext) => ctx.switchToHttp().getRequest<FastifyRequest>();
// a route's group is metadata: read once per route handler, not on every request
const groups = new WeakMap<object, RateLimitGroup | null>();
const groupOf = (ctx: ExecutionContext): RateLimitGroup | undefined => {
  const handler = ctx.getHandler();
  let group = groups.get(handler);
  if (group === undefined) {
    group =
      reflector.getAllAndOverride<RateLimitGroup | undefined>(RATE_LIMIT_GROUP, [handler, ctx.getClass()]) ??
      null;
    groups.set(handler, group);
  }
  return group ?? undefined;
};
const signedIn = (ctx: ExecutionContext) => requestOf(ctx).principal !== undefined;

/**
 * The request budgets of the contract (per minute, fixed windows):
 * - `user`: every request of a signed-in caller, per user;
 * - `anonymous`: every other request, per IP — except the login route, which has its own;
 * - `login`: POST /auth/login, per IP;
 * - `password_reset`: POST /auth/forgot-password and POST /auth/resend-verification together, per
 *   email (on top of the anonymous budget): the mails a stranger can have sent to one address.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, Clock, RedisService],
      useFactory: (config: AppConfig, clock: Clock, redis: RedisService) => ({
        storage: new WindowThrottlerStorage(clock, redis),
        getTracker: (req: Record<string, unknown>) => {
          const r = req as unknown as FastifyRequest;
          return r.principal ? `user:${r.principal.userId}` : `ip:${r.ip}`;
        },
        throttlers: [
          { name: 'user', ttl: MINUTE, limit: config.limits.ratePerMinute, skipIf: (ctx) => !signedIn(ctx) },
          {
            name: 'anonymous',
            ttl: MINUTE,
            limit: config.limits.rateAnonymousPerMinute,
            skipIf: (ctx) => signedIn(ctx) || groupOf(ctx) === 'login',
          },
          {
            name: 'login',
            ttl: MINUTE,
            limit: config.limits.rateLoginPerMinute,
            skipIf: (ctx) => groupOf(ctx) !== 'login',
            getTracker: (req: Record<string, unknown>) => `ip:${(req as unknown as FastifyRequest).ip}`,
          },
          {
            name: 'password_reset',
            ttl: MINUTE,
            limit: config.limits.ratePasswordResetPerMinute,
            skipIf: (ctx) => groupOf(ctx) !== 'password_reset',
            getTracker: (req: Record<string, unknown>) => {
              const body = (req as unknown as FastifyRequest).body as { email?: unknown } | undefined;
              const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
              return `email:${email}`;
            },
          },
        ],
      }),
    }),
  ],
  providers: [RateLimitGuard],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
