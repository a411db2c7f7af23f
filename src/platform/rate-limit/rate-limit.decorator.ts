import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';

export const RATE_LIMIT_GROUP = 'rate-limit:group';

/** Route groups with a budget of their own instead of the anonymous per-IP one. */
export type RateLimitGroup = 'login' | 'password_reset';

export const RateLimit = (group: RateLimitGroup) => SetMetadata(RATE_LIMIT_GROUP, group);

export const RATE_LIMIT_BUDGETS = ['user', 'anonymous', 'login', 'password_reset'] as const;

/** Routes that must never be throttled (health probes, Stripe's webhook deliveries). */
export const NoRateLimit = () =>
  applyDecorators(
    SkipThrottle(Object.fromEntries(RATE_LIMIT_BUDGETS.map((n) => [n, true]))),
    ApiExtension('x-rate-limit', false),
  );
