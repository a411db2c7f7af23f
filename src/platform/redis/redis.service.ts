import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/config';

/** The shared Redis connection, when REDIS_URL is set (rate-limit and presence counters). */
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis | null;

  constructor(config: AppConfig) {
    this.client = config.redisUrl
      ? new Redis(config.redisUrl, {
          // fail commands at once while disconnected instead of queueing them behind the outage
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          lazyConnect: false,
        })
      : null;
    // one line when the connection is lost (ioredis reports every failed reconnect attempt too)
    // and one when it is back
    let down = false;
    this.client?.on('error', (err: Error) => {
      if (down) return;
      down = true;
      this.logger.warn(`redis: ${err.message}`);
    });
    this.client?.on('ready', () => {
      if (!down) return;
      down = false;
      this.logger.log('redis: connected again');
    });
  }

  async ping(): Promise<boolean> {
    if (!this.client) return true;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client) await this.client.quit().catch(() => this.client?.disconnect());
  }
}
