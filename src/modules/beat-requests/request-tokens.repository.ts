import { Injectable } from '@nestjs/common';
import type { TokenEntryKind } from '@prisma/client';
import { newId } from '../../platform/ids';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';

/**
 * The debit of request tokens, the one statement that takes them (a renewal's `tryDebit`, a new
 * request's BeatRequestsRepository.createPaid): takes the cost from the user's balance when the
 * balance belongs to the period and holds enough, and writes the debit entry with it. The UPDATE
 * takes the row's lock and sees the latest committed balance, so concurrent debits queue here
 * for one statement, not a read-then-write round trip. Two common table expressions for a
 * statement to begin with (`WITH ${DEBIT_SQL} …`): `debited`, the balance row when it was
 * debited, and `entry`. Parameters $1–$7 are `debitValues`; a statement goes on from $8.
 */
export const DEBIT_SQL = `debited AS (
         UPDATE token_balances SET balance = balance - $3, updated_at = $4
         WHERE user_id = $1 AND period = $2 AND balance >= $3
         RETURNING user_id
       ), entry AS (
         INSERT INTO token_ledger (id, user_id, period, kind, amount, request_id, note, created_at)
         SELECT $5, user_id, $2, 'debit', -$3::int, $6, $7, $4 FROM debited
       )`;

/** The values of DEBIT_SQL's parameters $1–$7, in order. */
export const debitValues = (d: {
  userId: string;
  period: string;
  cost: number;
  at: Date;
  entryId: string;
  requestId: string;
  note: string;
}): [string, string, number, Date, string, string, string] => [
  d.userId,
  d.period,
  d.cost,
  d.at,
  d.entryId,
  d.requestId,
  d.note,
];

export interface BalanceRow {
  period: string;
  balance: number;
  allowance: number;
}

@Injectable()
export class RequestTokensRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** The user's balance row, created empty if missing, locked for the rest of the transaction. */
  async lock(tx: Tx, userId: string, at: Date): Promise<BalanceRow> {
    await tx.execute(
      `
      INSERT INTO token_balances (user_id, period, balance, allowance, updated_at)
      VALUES ($1, '', 0, 0, $2) ON CONFLICT (user_id) DO NOTHING`,
      [userId, at],
    );
    const [row] = await tx.query<BalanceRow>(
      `
      SELECT period, balance, allowance FROM token_balances WHERE user_id = $1 FOR UPDATE`,
      [userId],
    );
    return row;
  }

  /**
   * The common case in one statement (`DEBIT_SQL`): false when it did nothing (another month, or
   * not enough).
   */
  async tryDebit(
    tx: Tx,
    e: { userId: string; period: string; cost: number; requestId: string; note: string; at: Date },
  ): Promise<boolean> {
    const rows = await tx.query<{ debited: number }>(
      `WITH ${DEBIT_SQL} SELECT 1 AS debited FROM debited`,
      debitValues({ ...e, entryId: newId('tle') }),
    );
    return rows.length === 1;
  }

  async allowanceOf(tx: Tx, userId: string, planId?: string): Promise<number> {
    const rows = planId
      ? await tx.query<{ n: number }>(`SELECT request_tokens_per_month AS n FROM plans WHERE id = $1`, [
          planId,
        ])
      : await tx.query<{ n: number }>(
          `
          SELECT p.request_tokens_per_month AS n FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
          [userId],
        );
    return rows[0]?.n ?? 0;
  }

  /**
   * Sets the balance row and appends the entries that explain the change, together. An entry
   * belongs to the balance's period unless it names another (a reset closes the month before).
   */
  async apply(
    tx: Tx,
    userId: string,
    state: BalanceRow,
    entries: { kind: TokenEntryKind; amount: number; period?: string; requestId?: string; note?: string }[],
    at: Date,
  ): Promise<void> {
    // the row exists: `lock` created it in this transaction if it was missing
    await tx.execute(
      'UPDATE token_balances SET period = $2, balance = $3, allowance = $4, updated_at = $5 WHERE user_id = $1',
      [userId, state.period, state.balance, state.allowance, at],
    );
    if (entries.length) {
      await tx.execute(
        `INSERT INTO token_ledger (id, user_id, period, kind, amount, request_id, note, created_at)
         SELECT e.id, $1, e.period, e.kind::token_entry_kind, e.amount, e.request_id, e.note, $2
         FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[])
              AS e(id, period, kind, amount, request_id, note)`,
        [
          userId,
          at,
          entries.map(() => newId('tle')),
          entries.map((e) => e.period ?? state.period),
          entries.map((e) => e.kind),
          entries.map((e) => e.amount),
          entries.map((e) => e.requestId ?? null),
          entries.map((e) => e.note ?? null),
        ],
      );
    }
  }

  entries(userId: string, period: string, take: number) {
    return this.prisma.tokenLedgerEntry.findMany({
      where: { userId, period },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }
}
