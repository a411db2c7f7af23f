import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { Database } from '../database/database';
import { isConnectFailure } from '../database/db-errors';
import { RedisService } from '../redis/redis.service';
import { CheckDto, HealthDto } from './health.dto';

async function timed(probe: () => Promise<boolean>): Promise<CheckDto> {
  const start = performance.now();
  const ok = await probe().catch(() => false);
  return { ok, latency_ms: Math.round((performance.now() - start) * 10) / 10 };
}

@Injectable()
export class HealthService {
  constructor(
    private readonly db: Database,
    private readonly redis: RedisService,
  ) {}

  async check(): Promise<HealthDto> {
    const select = async () => (await this.db.query<{ ok: number }>('SELECT 1 AS ok')).length === 1;
    // a connection that could not be had is the answer; one that died in the pool is not
    const again = (err: unknown) => {
      if (isConnectFailure(err)) throw err;
      return select();
    };
    const [db, redis] = await Promise.all([
      // again, up to three times, when a pooled connection the server ended (a restart, a
      // failover) failed the statement: the pool drops it; the question is whether PostgreSQL
      // answers now, not whether an idle connection survived
      timed(() => select().catch(again).catch(again)),
      this.redis.client ? timed(() => this.redis.ping()) : Promise.resolve(undefined),
    ]);
    const checks = { db, ...(redis ? { redis } : {}) };
    if (!db.ok || (redis && !redis.ok)) {
      throw new AppError(GeneralErrors.serviceUnavailable, {
        context: { checks },
        headers: { 'Retry-After': '5' },
      });
    }
    return { status: 'ok', checks };
  }
}
