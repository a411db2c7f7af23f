import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Clock } from '../clock/clock';
import { RedisService } from '../redis/redis.service';

// INCR and set the key's lifetime in one round trip; the lifetime only garbage-collects old
// windows (the window itself is named by the clock), so it is generous.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * Fixed-window counters for @nestjs/throttler whose windows are named by the application clock
 * (so the test clock moves them, like every other time rule). In Redis when REDIS_URL is set, so
 * all instances share one budget; in process memory otherwise (single instance). If Redis fails,
 * counting falls back to memory rather than refusing traffic.
 */
@Injectable()
export class WindowThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger(WindowThrottlerStorage.name);
  private readonly memory = new Map<string, { hits: number; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;
  /** Counting in memory because Redis failed: logged when it starts and when it ends, not per request. */
  private degraded = false;

  constructor(
    private readonly clock: Clock,
    private readonly redis: RedisService,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const now = this.clock.nowMs();
    const window = Math.floor(now / ttl);
    const resetAt = (window + 1) * ttl;
    const windowKey = `rl:${key}:${window}`;
    const totalHits = await this.count(windowKey, ttl * 2);
    const timeToExpire = Math.max(1, Math.ceil((resetAt - now) / 1000));
    return { totalHits, timeToExpire, isBlocked: totalHits > limit, timeToBlockExpire: timeToExpire };
  }

  private async count(key: string, lifetimeMs: number): Promise<number> {
    const client = this.redis.client;
    if (client) {
      try {
        const hits = Number(await client.eval(INCREMENT, 1, key, String(lifetimeMs)));
        if (this.degraded) {
          this.degraded = false;
          this.logger.log('rate-limit counters are shared in Redis again');
        }
        return hits;
      } catch (err) {
        if (!this.degraded) {
          this.degraded = true;
          this.logger.warn(`rate-limit counters fall back to memory: ${(err as Error).message}`);
        }
      }
    }
    const entry = this.memory.get(key);
    if (entry) {
      entry.hits += 1;
      return entry.hits;
    }
    this.memory.set(key, { hits: 1, expiresAt: Date.now() + lifetimeMs });
    return 1;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.memory) if (entry.expiresAt < now) this.memory.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
