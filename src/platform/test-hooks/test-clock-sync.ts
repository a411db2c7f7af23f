import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../config/config';
import { Clock } from '../clock/clock';
import { JobsService } from '../jobs/jobs.service';
import { PrismaService } from '../prisma/prisma.service';

const CHANNEL = 'test_hooks_clock';

/**
 * With TEST_HOOKS=1 only (this provider exists only then: nothing of it runs in production): the
 * test clock's offset is one value for every instance on the database, so a harness that moves
 * time on one instance moves it for the fleet. The offset lives in `test_hooks.clock`; moving it is
 * one UPDATE that NOTIFYs the new absolute offset, and every instance LISTENs and adopts it (within
 * milliseconds; GET /__test/clock shows an instance's offset). An instance started later, or one
 * whose listener reconnects, reads it.
 */
@Injectable()
export class TestClockSync implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TestClockSync.name);
  private client?: Client;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private adopting: Promise<void> = Promise.resolve();
  /** The offset job time last received; undefined until the first adopt. */
  private synced?: number;

  constructor(
    private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
    private readonly jobs: JobsService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      // instances booting together: one creates, the others wait and find it
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('test_hooks.clock'))`);
      await tx.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS test_hooks`);
      await tx.$executeRawUnsafe(`
        CREATE TABLE IF NOT EXISTS test_hooks.clock (
          id boolean PRIMARY KEY DEFAULT true CHECK (id),
          offset_ms bigint NOT NULL
        )`);
      await tx.$executeRawUnsafe(
        `INSERT INTO test_hooks.clock (id, offset_ms) VALUES (true, 0) ON CONFLICT (id) DO NOTHING`,
      );
    });
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  /** Moves the fleet's clock forward; answers this instance's new time (already applied). */
  async advance(seconds: number): Promise<Date> {
    const [row] = await this.prisma.sql<{ offset_ms: string }>(
      `WITH c AS (UPDATE test_hooks.clock SET offset_ms = offset_ms + $1 RETURNING offset_ms)
       SELECT offset_ms::text, pg_notify('${CHANNEL}', offset_ms::text) FROM c`,
      [Math.round(seconds * 1000)],
    );
    await this.adopt(Number(row.offset_ms));
    return this.clock.now();
  }

  /**
   * Adopts an offset and pushes it to job time. One at a time, in arrival order: this instance's
   * own NOTIFY can arrive while `advance()` is still applying the same offset, and `advance()` must
   * not answer before job time has moved (a drain or a job fetch right after it would read the old
   * time), so an offset counts as adopted only once job time has it too.
   */
  private adopt(offsetMs: number): Promise<void> {
    const applied = this.adopting.then(async () => {
      if (offsetMs === this.clock.offset() && offsetMs === this.synced) return;
      this.clock.setOffset(offsetMs);
      await this.jobs.syncClock(); // job expiry and retry delays follow
      this.synced = offsetMs;
    });
    this.adopting = applied.catch(() => undefined);
    return applied;
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.payload) void this.adopt(Number(msg.payload)).catch(() => undefined);
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    // after LISTEN: a move committed meanwhile is either read here or notified
    const { rows } = await client.query<{ offset_ms: string }>(
      `SELECT offset_ms::text FROM test_hooks.clock`,
    );
    this.client = client;
    if (this.closed) await client.end().catch(() => undefined);
    else await this.adopt(Number(rows[0]?.offset_ms ?? 0));
  }

  private reconnectLater(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.listen().catch((err: Error) => {
        this.logger.warn(`test clock listener: ${err.message}`);
        this.reconnectLater();
      });
    }, 1000);
    this.retry.unref();
  }
}
