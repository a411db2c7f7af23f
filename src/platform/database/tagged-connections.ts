import { Client, Pool, type PoolClient } from 'pg';
import { markConnectFailure } from './db-errors';

type PoolConnectCallback = Parameters<Pool['connect']>[0] & object;

/**
 * A pg pool whose failures to hand out a connection — establishing one (refused, reset, timed out,
 * or any error PostgreSQL answers the startup with) or waiting too long for a free one — are
 * marked as connect failures (`isDatabaseUnavailable`: 503). `pool.query()` checks out through
 * `connect`, so its connect failures are marked too; a statement's own errors are not.
 */
export class ConnectTaggedPool extends Pool {
  override connect(): Promise<PoolClient>;
  override connect(callback: PoolConnectCallback): void;
  override connect(callback?: PoolConnectCallback): Promise<PoolClient> | void {
    if (!callback) {
      return super.connect().catch((err: unknown) => {
        throw markConnectFailure(err);
      });
    }
    super.connect((err, client, done) => callback(err && markConnectFailure(err), client, done));
  }
}

/**
 * A pg client whose `connect()` failures are marked as connect failures: for the pools other
 * libraries create (pg-boss takes pg's `Client` option through to its own pool).
 */
export class ConnectTaggedClient extends Client {
  override connect(): Promise<void>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<void> | void {
    if (!callback) {
      return super.connect().catch((err: unknown) => {
        throw markConnectFailure(err);
      });
    }
    super.connect((err) => callback(err && markConnectFailure(err)));
  }
}
