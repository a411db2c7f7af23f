import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { AppConfig } from '../../config/config';
import type { Db, Tx } from './db';
import { Listener, type ListenHandlers } from './listener';
import { ConnectTaggedPool } from './tagged-connections';

export type { Db, Tx } from './db';

/** serialization_failure, deadlock_detected: the transaction is run again from the start */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 3;

const runner = (c: Pool | PoolClient): Db => ({
  async query<T>(text: string, params: readonly unknown[] = [], name?: string): Promise<T[]> {
    return (await c.query({ text, values: params as unknown[], ...(name ? { name } : {}) })).rows as T[];
  },
  async execute(text: string, params: readonly unknown[] = [], name?: string): Promise<number> {
    return (await c.query({ text, values: params as unknown[], ...(name ? { name } : {}) })).rowCount ?? 0;
  },
});

const ignoreWhileCheckedOut = (): void => undefined;

/**
 * The application's PostgreSQL: one pg pool, shared with the Prisma client (its driver adapter
 * runs on this pool). The pool fails fast when PostgreSQL is unreachable (503
 * service_unavailable, marked by `ConnectTaggedPool` whatever the server answered) and reconnects
 * by itself when it returns.
 */
@Injectable()
export class Database implements Db, OnApplicationShutdown {
  /** the pool itself: for Prisma's driver adapter only; everything else goes through `query`/`transaction` */
  readonly pool: Pool;
  private readonly pooled: Db;
  private readonly url: string | undefined;

  constructor(config: AppConfig) {
    this.url = config.databaseUrl;
    const pool = new ConnectTaggedPool({
      connectionString: config.databaseUrl,
      max: 20,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      // a runaway statement must not hold a connection past the request deadline
      statement_timeout: config.requestTimeoutMs + 5_000,
      // nor a transaction whose caller stopped talking to it (its locks go with it)
      idle_in_transaction_session_timeout: config.requestTimeoutMs + 5_000,
    });
    // an idle client losing its connection (database restart) is not an application error
    pool.on('error', () => undefined);
    // pg-pool takes its own 'error' listener off a client while it is checked out: a connection
    // dying then, between two statements of a transaction (ours or Prisma's, whatever listeners
    // they add), would be an unhandled 'error' event that ends the process. With this one the next
    // statement on it fails instead (service_unavailable) and pg-pool drops it on release.
    pool.on('acquire', (client) => client.on('error', ignoreWhileCheckedOut));
    pool.on('release', (_err, client) => client.removeListener('error', ignoreWhileCheckedOut));
    this.pool = pool;
    this.pooled = runner(pool);
  }

  query<T>(text: string, params: readonly unknown[] = [], name?: string): Promise<T[]> {
    return this.pooled.query<T>(text, params, name);
  }

  execute(text: string, params: readonly unknown[] = [], name?: string): Promise<number> {
    return this.pooled.execute(text, params, name);
  }

  /**
   * `fn` in one transaction (READ COMMITTED): BEGIN, its statements, COMMIT — or ROLLBACK when it
   * throws, the error passed on unchanged (`pgErrorOf` reads its SQLSTATE and constraint). A
   * deadlock or serialization failure runs `fn` again (three attempts), so `fn` must do nothing but
   * database work: never call the network in it. The pool's statement and idle-in-transaction
   * timeouts bound how long it holds its locks.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      // a checked-out client has no listener of pg-pool's: its connection dying while `fn` runs
      // JavaScript between statements would be an unhandled 'error' event; the next statement fails
      const onError = (e: Error): Error => (broken = e);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const out = await fn({ ...runner(client), inTransaction: true });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        const code = (err as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
        throw err;
      } finally {
        // a connection that failed or could not roll back is closed, not handed to the next caller
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  /**
   * LISTEN on `channels` on a connection of its own, kept open for the process's life (NOTIFY is
   * sent by any statement, in a transaction on commit). The first connection's failure is
   * thrown; later losses reconnect by themselves. `close()` the listener on shutdown.
   */
  async listen(channels: readonly string[], handlers: ListenHandlers): Promise<Listener> {
    const listener = new Listener(this.url, channels, handlers);
    await listener.start();
    return listener;
  }

  /** the pool's connections: all, idle (the rest are checked out), and callers waiting for one */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** after every module's onModuleDestroy (Prisma's disconnect among them) */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
