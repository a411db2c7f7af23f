import { Client } from 'pg';

/**
 * Races made deterministic: the test takes the lock the code path takes (a row lock, an advisory
 * lock) on a connection of its own, fires the concurrent requests, waits with `lockWaiters` until
 * every one of them is queued on that lock, then releases it. A fixed sleep instead passes whether
 * or not the requests got there in time.
 */

/** A connection of the test's own to the app's database (end it in a `finally`). */
export async function connect(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  return client;
}

/** The server process of a connection (what pg_blocking_pids names). */
export async function backendPid(client: Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

export interface LockWaitQuery {
  /** how many backends must be waiting */
  count: number;
  /** only backends that this backend blocks (directly or through the lock queue) */
  blockedBy?: number;
  /** only backends whose current statement starts with this text */
  statement?: string;
}

/**
 * Polls until exactly `count` backends of the database wait for a lock (and, with `blockedBy`, are
 * blocked by that backend), read on a connection of its own: pg_stat_activity is a snapshot per
 * transaction, so a holder's own open transaction would never see them arrive. Throws with what it
 * saw if they are not all there within `patienceMs` (a broken setup, not a timing assertion).
 */
export async function lockWaiters(
  databaseUrl: string,
  query: LockWaitQuery,
  patienceMs = 30_000,
): Promise<void> {
  const observer = await connect(databaseUrl);
  try {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      const { rows } = await observer.query<{ pid: number; query: string; blockers: number[] }>(
        `SELECT pid, query, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      const waiting = rows.filter(
        (r) =>
          (query.blockedBy === undefined ||
            r.blockers.includes(query.blockedBy) ||
            blockedThrough(rows, r, query.blockedBy)) &&
          (query.statement === undefined || r.query.startsWith(query.statement)),
      );
      if (waiting.length === query.count) return;
      if (waiting.length > query.count || Date.now() > deadline) {
        throw new Error(
          `expected ${query.count} backends waiting for a lock, saw ${waiting.length}: ${JSON.stringify(rows)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await observer.end();
  }
}

/** Whether `row` waits behind another waiter that `holder` blocks (a queue on one lock). */
function blockedThrough(
  rows: { pid: number; blockers: number[] }[],
  row: { pid: number; blockers: number[] },
  holder: number,
  seen = new Set<number>(),
): boolean {
  for (const pid of row.blockers) {
    if (seen.has(pid)) continue;
    seen.add(pid);
    const blocker = rows.find((r) => r.pid === pid);
    if (blocker && (blocker.blockers.includes(holder) || blockedThrough(rows, blocker, holder, seen)))
      return true;
  }
  return false;
}
