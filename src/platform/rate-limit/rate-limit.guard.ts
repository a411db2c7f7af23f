import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../clock/clock';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';

interface Tightest {
  remaining: number;
}

type Resolvable = number | ((context: ExecutionContext) => number | Promise<number>);

/** What a route's metadata decides for one budget; only `skipIf` depends on the request. */
interface Budget {
  throttler: ThrottlerOptions;
  limit: Resolvable;
  ttl: Resolvable;
  blockDuration: Resolvable | undefined;
  getTracker: ThrottlerRequest['getTracker'];
  generateKey: ThrottlerRequest['generateKey'];
}

const resolve = async (value: Resolvable, context: ExecutionContext): Promise<number> =>
  typeof value === 'function' ? Number(await value(context)) : value;

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

  /** Per route handler: the budgets its metadata does not skip, with their settings resolved. */
  private readonly budgets = new WeakMap<object, Budget[]>();

  /**
   * The library's canActivate, with the route's metadata read once per route instead of ~30
   * reflector lookups per request (same order, same skips, same settings; `skipIf` still runs per
   * request, as it depends on the caller).
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const handler = context.getHandler();
    let budgets = this.budgets.get(handler);
    if (!budgets) {
      budgets = this.budgetsOf(context);
      this.budgets.set(handler, budgets);
    }
    for (const b of budgets) {
      const skipIf = b.throttler.skipIf ?? this.commonOptions.skipIf;
      if (skipIf?.(context)) continue;
      const ttl = await resolve(b.ttl, context);
      await this.handleRequest({
        context,
        limit: await resolve(b.limit, context),
        ttl,
        blockDuration: b.blockDuration === undefined ? ttl : await resolve(b.blockDuration, context),
        throttler: b.throttler,
        getTracker: b.getTracker,
        generateKey: b.generateKey,
      });
    }
    return true;
  }

  private budgetsOf(context: ExecutionContext): Budget[] {
    const targets = [context.getHandler(), context.getClass()];
    const meta = <T>(key: string, name: string) =>
      this.reflector.getAllAndOverride<T | undefined>(key + name, targets);
    return this.throttlers
      .filter((t) => !meta<boolean>(THROTTLER_SKIP, t.name!))
      .map((t) => ({
        throttler: t,
        limit: meta<Resolvable>(THROTTLER_LIMIT, t.name!) ?? (t.limit as Resolvable),
        ttl: meta<Resolvable>(THROTTLER_TTL, t.name!) ?? (t.ttl as Resolvable),
        blockDuration: meta<Resolvable>(THROTTLER_BLOCK_DURATION, t.name!) ?? (t.blockDuration as Resolvable),
        getTracker:
          meta<ThrottlerRequest['getTracker']>(THROTTLER_TRACKER, t.name!) ??
          t.getTracker ??
          this.commonOptions.getTracker!,
        generateKey:
          meta<ThrottlerRequest['generateKey']>(THROTTLER_KEY_GENERATOR, t.name!) ??
          t.generateKey ??
          this.commonOptions.generateKey!,
      }));
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
