import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../clock/clock';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';

interface Tightest {
  remaining: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    rateLimit?: Tightest;
  }
}

/**
 * @nestjs/throttler with the contract's headers: one `X-RateLimit-*` set (from whichever budget
 * that applies is closest to running out; Reset as epoch seconds) and 429 too_many_requests with
 * `Retry-After` and `retry_after`. Which budgets apply is decided in rate-limit.module.ts.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly clock: Clock,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, getTracker, generateKey } = props;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, throttler.name ?? 'default');
    const { totalHits, timeToExpire } = await this.storageService.increment(
      key,
      ttl,
      limit,
      ttl,
      throttler.name!,
    );
    const remaining = Math.max(0, limit - totalHits);
    const exceeded = totalHits > limit;

    if (exceeded || !req.rateLimit || remaining < req.rateLimit.remaining) {
      req.rateLimit = { remaining };
      reply.header('X-RateLimit-Limit', limit);
      reply.header('X-RateLimit-Remaining', remaining);
      reply.header('X-RateLimit-Reset', Math.ceil(this.clock.nowMs() / 1000) + timeToExpire);
    }
    if (exceeded) {
      throw new AppError(GeneralErrors.tooManyRequests, {
        context: { retry_after: timeToExpire },
        headers: { 'Retry-After': String(timeToExpire) },
      });
    }
    return true;
  }

  /**
   * A request refused for a bad or missing bearer token on a route that needs one still spends the
   * anonymous per-IP budget (else guessing tokens would be unlimited): called by the access guard
   * before it refuses; throws too_many_requests once the budget is spent.
   */
  async chargeAnonymous(context: ExecutionContext): Promise<void> {
    const throttler = this.throttlers.find((t) => t.name === 'anonymous');
    if (!throttler || typeof throttler.limit !== 'number' || typeof throttler.ttl !== 'number') return;
    await this.handleRequest({
      context,
      limit: throttler.limit,
      ttl: throttler.ttl,
      blockDuration: throttler.ttl,
      throttler,
      getTracker: (req: Record<string, unknown>) => `ip:${(req as unknown as FastifyRequest).ip}`,
      generateKey: (ctx, tracker, name) => this.generateKey(ctx, tracker, name),
    });
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    // One budget per caller per group, shared by all routes of the group (not one per route).
    return `${name}:${tracker}`;
  }
}
