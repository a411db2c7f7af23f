import { Injectable } from '@nestjs/common';
import type { TokenEntryKind } from '@prisma/client';
import { newId } from '../../platform/ids';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

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
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** The user's balance row, created empty if missing, locked for the rest of the transaction. */
  async lock(tx: Tx, userId: string, at: Date): Promise<BalanceRow> {
    await tx.$executeRaw`
      INSERT INTO token_balances (user_id, period, balance, allowance, updated_at)
      VALUES (${userId}, '', 0, 0, ${at}) ON CONFLICT (user_id) DO NOTHING`;
    const [row] = await tx.$queryRaw<BalanceRow[]>`
      SELECT period, balance, allowance FROM token_balances WHERE user_id = ${userId} FOR UPDATE`;
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
    const rows = await tx.$queryRawUnsafe<unknown[]>(
      `WITH ${DEBIT_SQL} SELECT 1 FROM debited`,
      ...debitValues({ ...e, entryId: newId('tle') }),
    );
    return rows.length === 1;
  }

  async allowanceOf(tx: Tx, userId: string, planId?: string): Promise<number> {
    const rows = planId
      ? await tx.$queryRaw<
          { n: number }[]
        >`SELECT request_tokens_per_month AS n FROM plans WHERE id = ${planId}`
      : await tx.$queryRaw<{ n: number }[]>`
          SELECT p.request_tokens_per_month AS n FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = ${userId}`;
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
    await tx.tokenBalance.update({
      where: { userId },
      data: { period: state.period, balance: state.balance, allowance: state.allowance, updatedAt: at },
    });
    if (entries.length) {
      await tx.tokenLedgerEntry.createMany({
        data: entries.map((e) => ({
          id: newId('tle'),
          userId,
          period: e.period ?? state.period,
          kind: e.kind,
          amount: e.amount,
          requestId: e.requestId ?? null,
          note: e.note ?? null,
          createdAt: at,
        })),
      });
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
