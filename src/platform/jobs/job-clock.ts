import type { Clock as BossClock, ClockTimer, Db } from 'pg-boss';
import type { Clock } from '../clock/clock';

/**
 * pg-boss on the application clock. pg-boss reads time in SQL through `<schema>.job_now()`: job
 * expiry (a worker that died, LIMIT_PROCESSING_TIMEOUT_SECONDS for audio processing), retry
 * delays and delayed starts. Installed, this clock makes `job_now()` answer the database's now()
 * plus the application clock's offset — in every session, also where a job is enqueued inside a
 * Prisma transaction, so a job's creation, retention and start are all on one clock; its
 * JavaScript side reads the same clock. In production the offset is 0; with TEST_HOOKS,
 * `POST /__test/clock` moves job time with everything else. Timers stay real: the offset only
 * ever jumps, it does not change the rate of time.
 *
 * Installed by JobsService right after pg-boss starts (`install`), not through pg-boss's
 * `AttachableClock`: an attachable clock makes pg-boss run `SET pgboss.test_clock` on every
 * new pooled connection from the pool's 'connect' event while the checkout's own statement is
 * sent, which pg warns about at every start ("client.query() when the client is already executing
 * a query"), and this job_now() never reads that setting.
 */
export class JobClock implements BossClock {
  private target?: { db: Db; schema: string };

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.nowMs();
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return setTimeout(fn, ms);
  }

  clearTimeout(handle: ClockTimer): void {
    clearTimeout(handle as NodeJS.Timeout);
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    return setInterval(fn, ms);
  }

  clearInterval(handle: ClockTimer): void {
    clearInterval(handle as NodeJS.Timeout);
  }

  /** Makes `<schema>.job_now()` follow the application clock; idempotent (every start runs it). */
  async install(db: Db, schema: string): Promise<void> {
    // one row: the offset in milliseconds. Idempotent, so instances sharing a schema agree; the
    // statements run as one implicit transaction under a transaction-scoped advisory lock, since
    // instances booting together race on CREATE TABLE IF NOT EXISTS (a duplicate pg_type row) and
    // on CREATE OR REPLACE FUNCTION ('tuple concurrently updated') without it.
    await db.executeSql(`
      SELECT pg_advisory_xact_lock(hashtext('${schema}.app_clock'));
      CREATE TABLE IF NOT EXISTS ${schema}.app_clock (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        offset_ms bigint NOT NULL
      );
      INSERT INTO ${schema}.app_clock (id, offset_ms) VALUES (true, 0) ON CONFLICT (id) DO NOTHING;
      CREATE OR REPLACE FUNCTION ${schema}.job_now() RETURNS timestamp with time zone AS
      $$
        SELECT pg_catalog.now() + COALESCE(
          (SELECT c.offset_ms * interval '1 millisecond' FROM ${schema}.app_clock c LIMIT 1), interval '0');
      $$ LANGUAGE sql STABLE;
    `);
    // left in place on stop: with offset 0 it is the database's own now()
    this.target = { db, schema };
    await this.sync();
  }

  /** Pushes the application clock's offset to the database (after the test hook moved it). */
  async sync(): Promise<void> {
    if (!this.target) return;
    await this.target.db.executeSql(`UPDATE ${this.target.schema}.app_clock SET offset_ms = $1`, [
      this.clock.offset(),
    ]);
  }
}
