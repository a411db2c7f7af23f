import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '@prisma/client';
import { Pool, type PoolClient } from 'pg';
import { AppConfig } from '../../config/config';
import { isConnectFailure, markConnectFailure } from './db-errors';
import { ConnectTaggedPool } from './tagged-connections';

export type Tx = Prisma.TransactionClient;

/** A statement runner: the pool itself (autocommit) or one open pg transaction (`transaction`). */
export interface Sql {
  /** the rows of one parameterised statement; `name` makes it a prepared statement per connection */
  query<T>(text: string, params?: unknown[], name?: string): Promise<T[]>;
  /** how many rows one statement changed */
  execute(text: string, params?: unknown[], name?: string): Promise<number>;
}

/** A pg transaction on the shared pool, as handed to `PrismaService.transaction`'s callback. */
export interface SqlTx extends Sql {
  readonly inTransaction: true;
}

/** serialization_failure, deadlock_detected: the transaction is run again from the start */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 3;

const runner = (c: Pool | PoolClient): Sql => ({
  async query<T>(text: string, params: unknown[] = [], name?: string): Promise<T[]> {
    return (await c.query({ text, values: params, ...(name ? { name } : {}) })).rows as T[];
  },
  async execute(text: string, params: unknown[] = [], name?: string): Promise<number> {
    return (await c.query({ text, values: params, ...(name ? { name } : {}) })).rowCount ?? 0;
  },
});

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type PgTransaction = Awaited<ReturnType<PgAdapter['startTransaction']>>;

const ignoreWhileCheckedOut = (): void => undefined;

/** the statements with which Prisma's transaction manager ends an interactive transaction */
const END_OF_TRANSACTION = new Set(['COMMIT', 'ROLLBACK']);

/** the pg adapter's error conversion: every failure of the pool or of a statement passes here */
type AdapterOnError = { onError(err: unknown): never };

/**
 * `PrismaPg` whose connect failures stay marked as such, and whose interactive transactions give
 * their connection back to the pool even when the connection died inside them.
 *
 * The adapter turns a pg error into a DriverAdapterError whose cause is a copy of the error's
 * fields: a failure of the pool to hand out a connection (55000 from a database refusing
 * connections is `kind: 'postgres'`) would no longer say where it happened. The thrown error
 * carries the mark of the error it came from, so it answers 503 like the pool's own.
 *
 * Transactions: Prisma 6.19's transaction manager sends COMMIT or ROLLBACK and only then calls
 * the adapter's `commit()`/`rollback()`, which release the pool client; when that statement throws
 * (the backend was terminated, PostgreSQL restarted) the release is skipped and the client stays
 * checked out for good — 20 such transactions and the pool is exhausted. Here a failed COMMIT or
 * ROLLBACK releases the client with its error, so pg-pool closes it.
 */
class ReleasingPrismaPg extends PrismaPg {
  override async connect(): Promise<PgAdapter> {
    const adapter = await super.connect();
    const queryable = adapter as unknown as AdapterOnError;
    const onError = queryable.onError.bind(adapter);
    queryable.onError = (err: unknown): never => {
      try {
        return onError(err);
      } catch (thrown) {
        if (isConnectFailure(err)) markConnectFailure(thrown);
        throw thrown;
      }
    };
    const start = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => releasesOnFailedEnd(await start(isolationLevel));
    return adapter;
  }
}

function releasesOnFailedEnd(tx: PgTransaction): PgTransaction {
  // the adapter's PgTransaction keeps its pool client as `client` (protected in its typings)
  const client = (tx as unknown as { client: PoolClient }).client;
  const { executeRaw, commit, rollback } = tx;
  let released = false;
  tx.executeRaw = async (query) => {
    try {
      return await executeRaw.call(tx, query);
    } catch (err) {
      if (END_OF_TRANSACTION.has(query.sql) && !released) {
        released = true;
        client.release(err instanceof Error ? err : new Error(String(err)));
      }
      throw err;
    }
  };
  tx.commit = () => (released ? Promise.resolve() : commit.call(tx));
  tx.rollback = () => (released ? Promise.resolve() : rollback.call(tx));
  return tx;
}

/**
 * The Prisma client on the pg driver adapter (no native engine), sharing one pg pool with `sql()`
 * and `transaction()`. Prisma serves the many ordinary reads and writes; the pg pool serves the
 * statements on every request's path (principal and session checks, health) and the hot write
 * paths (purchases, webhooks, token debits, submissions, playlist adds), where Prisma's per-query
 * work and its interactive transactions (~3× a pg transaction) were measured to dominate
 * (README "Architecture", docs/perf/writes.md). The pool fails fast when PostgreSQL is
 * unreachable (503 service_unavailable) and reconnects by itself when it returns.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly pool: Pool;
  private readonly pooled: Sql;

  constructor(config: AppConfig) {
    // a failure to hand out a connection is marked as one (503 whatever PostgreSQL's code)
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
    super({
      adapter: new ReleasingPrismaPg(pool, { disposeExternalPool: true }),
      transactionOptions: { maxWait: 5_000, timeout: config.requestTimeoutMs },
    });
    this.pool = pool;
    this.pooled = runner(pool);
  }

  /**
   * One parameterised statement on the shared pool, outside any transaction. A `name` makes it a
   * prepared statement kept by each connection, which saves the planning on hot queries.
   */
  sql<T>(text: string, params: unknown[] = [], name?: string): Promise<T[]> {
    return this.pooled.query<T>(text, params, name);
  }

  /** `sql` for the number of rows a statement changed. */
  execute(text: string, params: unknown[] = [], name?: string): Promise<number> {
    return this.pooled.execute(text, params, name);
  }

  /**
   * `fn` in one pg transaction (READ COMMITTED) on the shared pool: BEGIN, its statements,
   * COMMIT — or ROLLBACK when it throws, the error passed on unchanged (pgErrorOf reads its
   * SQLSTATE and constraint like a Prisma error's). A deadlock or serialization failure runs `fn`
   * again (three attempts), so `fn` must do nothing but database work: never call the network in
   * it. The pool's statement and idle-in-transaction timeouts bound how long it holds its locks.
   */
  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
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

  /** the shared pool's connections: all, idle (the rest are checked out), and callers waiting for one */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
