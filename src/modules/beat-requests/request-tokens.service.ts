import { Injectable, OnModuleInit } from '@nestjs/common';
import type { TokenEntryKind } from '@prisma/client';
import { Clock } from '../../platform/clock/clock';
import type { Tx } from '../../platform/database/database';
import { BillingService } from '../billing/billing.service';
import type { RequestTokensDto } from './dto/beat-request.dto';
import { nextReset, periodOf } from './periods';
import { BalanceRow, RequestTokensRepository } from './request-tokens.repository';

type Entry = { kind: TokenEntryKind; amount: number; period?: string; requestId?: string; note?: string };

/**
 * Monthly request tokens as a ledger. Every change of a user's balance is an entry (grant,
 * debit, refund, reset) written in the same transaction as the balance row it explains, under
 * that row's lock: the user's token operations take turns, the balance is the ledger's sum and a
 * CHECK keeps it from going negative. The month rolls over lazily, exactly once: the first
 * operation of a new month (UTC, by the application clock) resets the leftover and grants the
 * plan's allowance. A plan change does the same with the new allowance. The common debit — the
 * month already open, enough tokens — is a single statement (`tryDebit`, and for new requests
 * BeatRequestsRepository.createPaid), so concurrent debits hold the row only while it runs.
 */
@Injectable()
export class RequestTokensService implements OnModuleInit {
  constructor(
    private readonly repo: RequestTokensRepository,
    private readonly billing: BillingService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.billing.onPlanChange((tx, userId, planId) => this.resetToPlan(tx, userId, planId));
  }

  /** Locks the balance and brings it into the current month; returns it. */
  private async current(tx: Tx, userId: string): Promise<BalanceRow> {
    const now = this.clock.now();
    const row = await this.repo.lock(tx, userId, now);
    const period = periodOf(now);
    if (row.period === period) return row;
    const allowance = await this.repo.allowanceOf(tx, userId);
    const next = { period, balance: allowance, allowance };
    await this.repo.apply(tx, userId, next, this.renewal(row, allowance, `allowance for ${period}`), now);
    return next;
  }

  /** Entries that close the old balance (a reset, in its own month) and grant the new one. */
  private renewal(old: BalanceRow, allowance: number, note: string): Entry[] {
    return [
      ...(old.balance > 0
        ? [{ kind: 'reset' as const, amount: -old.balance, period: old.period, note: 'unused tokens expire' }]
        : []),
      { kind: 'grant' as const, amount: allowance, note },
    ];
  }

  /**
   * Takes `cost` tokens for a request, inside the caller's transaction: 'ok', or why not —
   * 'empty' (balance 0) or 'short' (some, not enough). Nothing changes unless 'ok'.
   */
  async debit(
    tx: Tx,
    userId: string,
    cost: number,
    requestId: string,
    note: string,
  ): Promise<'ok' | 'empty' | 'short'> {
    const at = this.clock.now();
    if (await this.repo.tryDebit(tx, { userId, period: periodOf(at), cost, requestId, note, at }))
      return 'ok';
    // a new month to open, no balance row yet, or not enough: the full path, under the row's lock
    const row = await this.current(tx, userId);
    if (row.balance === 0) return 'empty';
    if (row.balance < cost) return 'short';
    await this.repo.apply(
      tx,
      userId,
      { ...row, balance: row.balance - cost },
      [{ kind: 'debit', amount: -cost, requestId, note }],
      this.clock.now(),
    );
    return 'ok';
  }

  /** Gives tokens back, never above the monthly allowance. Returns how many. */
  async refund(tx: Tx, userId: string, amount: number, requestId: string, note: string): Promise<number> {
    const row = await this.current(tx, userId);
    const refundable = Math.max(0, Math.min(amount, row.allowance - row.balance));
    if (refundable > 0) {
      await this.repo.apply(
        tx,
        userId,
        { ...row, balance: row.balance + refundable },
        [{ kind: 'refund', amount: refundable, requestId, note }],
        this.clock.now(),
      );
    }
    return refundable;
  }

  /**
   * A new plan (BillingService.changePlan, inside its transaction): the leftover is reset and the
   * balance becomes the new plan's allowance for the current month.
   */
  async resetToPlan(tx: Tx, userId: string, planId: string): Promise<void> {
    const now = this.clock.now();
    const row = await this.repo.lock(tx, userId, now);
    const allowance = await this.repo.allowanceOf(tx, userId, planId);
    const next = { period: periodOf(now), balance: allowance, allowance };
    await this.repo.apply(tx, userId, next, this.renewal(row, allowance, `plan changed to ${planId}`), now);
  }

  async summary(userId: string): Promise<RequestTokensDto> {
    const row = await this.repo.transaction((tx) => this.current(tx, userId));
    const entries = await this.repo.entries(userId, row.period, 100);
    return {
      balance: row.balance,
      monthly_allowance: row.allowance,
      period: row.period,
      resets_at: nextReset(this.clock.now()).toISOString(),
      ledger: entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        amount: e.amount,
        request_id: e.requestId,
        note: e.note,
        created_at: e.createdAt.toISOString(),
      })),
    };
  }
}
