import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { JobsService } from '../jobs/jobs.service';
import { Database } from '../database/database';
import type { Listener } from '../database/listener';

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
  private listener?: Listener;
  private adopting: Promise<void> = Promise.resolve();
  /** The offset job time last received; undefined until the first adopt. */
  private synced?: number;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly jobs: JobsService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.db.transaction(async (tx) => {
      // instances booting together: one creates, the others wait and find it
      await tx.execute(`SELECT pg_advisory_xact_lock(hashtext('test_hooks.clock'))`);
      await tx.execute(`CREATE SCHEMA IF NOT EXISTS test_hooks`);
      await tx.execute(`
        CREATE TABLE IF NOT EXISTS test_hooks.clock (
          id boolean PRIMARY KEY DEFAULT true CHECK (id),
          offset_ms bigint NOT NULL
        )`);
      await tx.execute(
        `INSERT INTO test_hooks.clock (id, offset_ms) VALUES (true, 0) ON CONFLICT (id) DO NOTHING`,
      );
    });
    this.listener = await this.db.listen([CHANNEL], {
      notification: (_channel, payload) => {
        if (payload) void this.adopt(Number(payload)).catch(() => undefined);
      },
      // after LISTEN: a move committed meanwhile is either read here or notified
      connected: async (db) => {
        const [row] = await db.query<{ offset_ms: string }>('SELECT offset_ms::text FROM test_hooks.clock');
        await this.adopt(Number(row?.offset_ms ?? 0));
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.close();
  }

  /** Moves the fleet's clock forward; answers this instance's new time (already applied). */
  async advance(seconds: number): Promise<Date> {
    const [row] = await this.db.query<{ offset_ms: string }>(
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
}
