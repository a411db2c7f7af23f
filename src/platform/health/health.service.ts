import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { Database } from '../database/database';
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
    const [db, redis] = await Promise.all([
      timed(async () => (await this.db.query<{ ok: number }>('SELECT 1 AS ok')).length === 1),
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
