import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { Database } from '../database/database';

/**
 * An instance that was not told it is one of several (INSTANCE_COUNT=1, the default) looks, once
 * at boot and before its own workers start, for another instance's job workers on the same
 * database, and says so in one line: its rate limits, secret and audio may not be shared. A
 * warning rather than a refusal: a one-off process on the database (a migration, a seed, a test
 * harness) looks the same from here.
 */
@Injectable()
export class FleetCheck implements OnModuleInit {
  private readonly logger = new Logger('Fleet');

  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.instanceCount > 1) return; // declared: the shared settings were checked at boot
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'beat-platform-jobs'`,
    );
    if (!row || row.n === 0) return;
    this.logger.warn(
      'another instance is running on this database but INSTANCE_COUNT is 1: declare INSTANCE_COUNT on every instance so the shared settings are checked' +
        (this.config.redisUrl ? '' : ' (without REDIS_URL each instance counts its own rate limits)'),
    );
  }
}
