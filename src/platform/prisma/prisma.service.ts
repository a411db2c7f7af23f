import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import type { PoolClient } from 'pg';
import { Database } from '../database/database';
import { isConnectFailure, markConnectFailure } from '../database/db-errors';

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type PgTransaction = Awaited<ReturnType<PgAdapter['startTransaction']>>;

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
 * The Prisma client, on the pg driver adapter (no native engine) over `Database`'s pool. Prisma
 * owns the schema and its migrations and serves typed single-statement reads and writes outside
 * transactions; every transaction and every hand-written statement goes through `Database`
 * (README "Architecture": one way to the database).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(database: Database) {
    // the pool is Database's: it ends it after every module has stopped
    super({ adapter: new ReleasingPrismaPg(database.pool, { disposeExternalPool: false }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
