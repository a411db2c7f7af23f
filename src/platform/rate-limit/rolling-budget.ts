import type { Tx } from '../database/database';

/** A budget over a rolling window by the application clock: at most `limit` actions per `seconds`. */
export interface RollingWindow {
  seconds: number;
  limit: number;
}

export type BudgetOutcome = { ok: true } | { ok: false; retryAfter: number; window: RollingWindow };

/**
 * Domain budgets that must hold across instances and survive an undo (follows per hour, reposts
 * per hour and day, messages per minute): each spent action is a row of `rate_events`, counted
 * under a transaction-scoped advisory lock on (kind, subject), so concurrent spenders take turns
 * and the count they see is final. The rows stay when the action is undone (an unfollow), so
 * unfollow-then-follow still counts. Call inside the transaction that performs the action:
 * if it rolls back, so does the spending.
 */
export const RollingBudget = {
  /** Serialises the subject's spending for the rest of the transaction (re-entrant). */
  async lock(tx: Tx, kind: string, subject: string): Promise<void> {
    await tx.query(
      'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
      [`budget:${kind}:${subject}`],
      'budget_lock',
    );
  },

  /**
   * Spends one action if every window has room; else how long until the tightest one does
   * (seconds until the action that blocks it leaves the window). Takes the lock itself.
   */
  async spend(
    tx: Tx,
    kind: string,
    subject: string,
    windows: readonly RollingWindow[],
    now: Date,
  ): Promise<BudgetOutcome> {
    const outcome = await RollingBudget.check(tx, kind, subject, windows, now);
    if (!outcome.ok) return outcome;
    const longest = Math.max(...windows.map((w) => w.seconds));
    await tx.execute(
      'DELETE FROM rate_events WHERE kind = $1 AND subject = $2 AND at <= $3',
      [kind, subject, new Date(now.getTime() - longest * 1000)],
      'budget_forget',
    );
    await tx.execute(
      'INSERT INTO rate_events (kind, subject, at) VALUES ($1, $2, $3)',
      [kind, subject, now],
      'budget_spend',
    );
    return { ok: true };
  },

  /**
   * Whether every window has room, without spending (for an action that is refused while the
   * budget is spent but does not spend it: a right access code after too many wrong ones). Takes
   * the lock itself.
   */
  async check(
    tx: Tx,
    kind: string,
    subject: string,
    windows: readonly RollingWindow[],
    now: Date,
  ): Promise<BudgetOutcome> {
    await RollingBudget.lock(tx, kind, subject);
    let worst: { retryAfter: number; window: RollingWindow } | undefined;
    for (const window of windows) {
      const since = new Date(now.getTime() - window.seconds * 1000);
      // the limit-th newest action in the window: while it is in it, the window is full
      const [blocking] = await tx.query<{ at: Date }>(
        `SELECT at FROM rate_events
         WHERE kind = $1 AND subject = $2 AND at > $3
         ORDER BY at DESC OFFSET $4::int LIMIT 1`,
        [kind, subject, since, window.limit - 1],
        'budget_blocking',
      );
      if (blocking) {
        const retryAfter = Math.max(
          1,
          Math.ceil((blocking.at.getTime() + window.seconds * 1000 - now.getTime()) / 1000),
        );
        if (!worst || retryAfter > worst.retryAfter) worst = { retryAfter, window };
      }
    }
    return worst ? { ok: false, ...worst } : { ok: true };
  },
};
