import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import type { Db } from '../../platform/database/database';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { byCreation, decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import { paymentError } from '../../platform/payments/payment-errors';
import { StripeClient } from '../../platform/payments/stripe.client';
import type {
  CreditDto,
  EarningsDto,
  EarningsEntryDto,
  HoldsDto,
  PayoutAccountDto,
  PayoutAccountStateDto,
  SalesDto,
  SalesQueryDto,
} from './dto/earnings.dto';
import { creditAccess } from './credit-access';
import { EarningsErrors } from './earnings.errors';
import {
  type AccountState,
  accountReady,
  type CreditRow,
  EarningsRepository,
  type LegRow,
  type PayoutAccountRow,
} from './earnings.repository';

const toAccountDto = (a: PayoutAccountRow): PayoutAccountStateDto => ({
  account_id: a.stripeAccountId,
  country: a.country,
  charges_enabled: a.chargesEnabled,
  payouts_enabled: a.payoutsEnabled,
  transfers_ready: accountReady(a),
  requirements_due: a.requirementsDue,
  disabled_reason: a.disabledReason,
});

const toCreditDto = (c: CreditRow): CreditDto => ({
  id: c.creditId,
  track_id: c.trackId,
  track_title: c.trackTitle,
  owner_id: c.ownerId,
  role: c.role,
  split_percent: Number(c.splitPercent),
  status: c.status,
  created_at: c.createdAt.toISOString(),
  responded_at: c.respondedAt?.toISOString() ?? null,
});

/** Stripe's account, in the fields we keep. */
export function accountState(a: Stripe.Account): AccountState {
  return {
    stripeAccountId: a.id,
    chargesEnabled: !!a.charges_enabled,
    payoutsEnabled: !!a.payouts_enabled,
    transfersActive: a.capabilities?.transfers === 'active',
    requirementsDue: a.requirements?.currently_due ?? [],
    disabledReason: a.requirements?.disabled_reason ?? null,
  };
}

/**
 * Payout accounts (Stripe Connect Express), collaborator credits, and what producers and admins
 * see of the ledger. Transfers are TransfersService's; the legs are written by EarningsLedger.
 */
@Injectable()
export class EarningsService {
  constructor(
    private readonly repo: EarningsRepository,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * The caller's connected account, created once: the row is claimed first, then Stripe is asked
   * with the idempotency key `payout-account:<user>` (concurrent calls get the same account), and
   * an onboarding link is made for it. The first country given is kept.
   */
  async openPayoutAccount(principal: Principal, country: string): Promise<PayoutAccountDto> {
    let row = await this.repo.claimPayoutAccount(principal.userId, country.toUpperCase(), this.clock.now());
    try {
      if (!row.stripeAccountId) {
        const readAt = this.clock.now();
        const made = await this.stripe.api.accounts.create(
          {
            type: 'express',
            country: row.country ?? undefined,
            capabilities: { transfers: { requested: true } },
            metadata: { user_id: principal.userId },
          },
          { idempotencyKey: `payout-account:${principal.userId}` },
        );
        await this.repo.setStripeAccount(principal.userId, accountState(made), readAt, this.clock.now());
        row = (await this.repo.payoutAccount(principal.userId))!;
      }
      const link = await this.stripe.api.accountLinks.create({
        account: row.stripeAccountId!,
        type: 'account_onboarding',
        refresh_url: `${this.config.appUrl}/api/v1/me/payout-account?onboarding=refresh`,
        return_url: `${this.config.appUrl}/api/v1/me/payout-account?onboarding=done`,
      });
      return { account: toAccountDto(row), onboarding_url: link.url };
    } catch (err) {
      throw paymentError(err, 'create');
    }
  }

  async payoutAccount(principal: Principal): Promise<PayoutAccountStateDto> {
    const row = await this.repo.payoutAccount(principal.userId);
    // none yet: the state of an account that cannot receive anything
    return toAccountDto(
      row ?? {
        userId: principal.userId,
        stripeAccountId: null,
        country: null,
        chargesEnabled: false,
        payoutsEnabled: false,
        transfersActive: false,
        requirementsDue: [],
        disabledReason: null,
      },
    );
  }

  /**
   * account.updated, re-read from Stripe at `readAt`: false when the account is not one of ours
   * or a later read was applied already.
   */
  applyAccount(db: Db, account: Stripe.Account, readAt: Date): Promise<boolean> {
    return this.repo.applyAccount(db, accountState(account), readAt, this.clock.now());
  }

  // ---- credits ----------------------------------------------------------------------------------

  async credits(principal: Principal): Promise<CreditDto[]> {
    return (await this.repo.credits(principal.userId)).map(toCreditDto);
  }

  /** Accepts or declines a credit; credit_not_found unless it is the caller's (creditAccess). */
  async respond(principal: Principal, creditId: string, answer: 'accepted' | 'declined'): Promise<CreditDto> {
    creditAccess.assert(principal, 'answer', await this.repo.creditHolder(creditId));
    // the statement is conditional on the same person: a credit removed meanwhile is not found
    const row = await this.repo.respondToCredit(principal.userId, creditId, answer, this.clock.now());
    if (!row) throw new AppError(EarningsErrors.creditNotFound);
    return toCreditDto(row);
  }

  // ---- views ------------------------------------------------------------------------------------

  async earnings(principal: Principal): Promise<EarningsDto> {
    const rows = await this.repo.balances(principal.userId, this.clock.now());
    return {
      data: rows.map((r) => ({
        currency: r.currency,
        pending: r.pending,
        available: r.available,
        in_transit: r.inTransit,
        paid: r.paid,
        held: r.held,
        negative: r.negative,
      })),
      minimum_transfer_cents: this.config.limits.transferMinimumCents,
    };
  }

  async entries(principal: Principal, query: PageQueryDto): Promise<Page<EarningsEntryDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.entries(principal.userId, limit + 1, decodeCursor(query.cursor));
    const now = this.clock.now();
    return toPage(rows, limit, byCreation, (l) => this.toEntry(l, now));
  }

  private toEntry(l: LegRow, now: Date): EarningsEntryDto {
    const state =
      l.status === 'open'
        ? l.availableAt <= now && !l.frozenAt && l.amountCents > 0
          ? 'available'
          : l.amountCents < 0
            ? 'owed'
            : 'pending'
        : l.status;
    return {
      id: l.id,
      kind: l.kind,
      state,
      amount_cents: l.amountCents,
      currency: l.currency,
      share_bps: l.shareBps,
      sale_id: l.purchaseId,
      track_id: l.trackId,
      credited_user_id: l.creditedUserId,
      transfer_id: l.transferId,
      reversal_id: l.reversalId,
      reversal_status: l.reversalStatus,
      recovers_entry_id: l.recoversLegId,
      frozen: !!l.frozenAt,
      refunded: !!l.voidedAt,
      available_at: l.availableAt.toISOString(),
      created_at: l.createdAt.toISOString(),
    };
  }

  async sales(principal: Principal, q: SalesQueryDto): Promise<SalesDto> {
    const to = q.to ? new Date(q.to) : this.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (!(from < to))
      throw new AppError(GeneralErrors.validationFailed, { errors: { from: ['must be before `to`'] } });
    const groupBy = q.group_by ?? 'day';
    const rows = await this.repo.sales(principal.userId, from, to, groupBy);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: groupBy,
      data: rows.map((r) => ({
        key: r.key,
        currency: r.currency,
        count: r.count,
        gross_cents: r.gross,
        fee_cents: r.fee,
        net_cents: r.net,
      })),
    };
  }

  async holds(): Promise<HoldsDto> {
    const h = await this.repo.holds(this.clock.now());
    return {
      waiting_on_accounts: h.waitingOnAccounts.map((r) => ({
        user_id: r.userId,
        currency: r.currency,
        amount_cents: r.amountCents,
        reason: r.reason,
      })),
      waiting_on_acceptance: h.waitingOnAcceptance.map((r) => ({
        user_id: r.userId,
        track_id: r.trackId,
        currency: r.currency,
        amount_cents: r.amountCents,
      })),
      failed_transfers: h.failedTransfers.map((r) => ({
        id: r.id,
        user_id: r.userId,
        currency: r.currency,
        amount_cents: r.amountCents,
        failure: r.failure,
        at: r.at.toISOString(),
      })),
      open_disputes: h.openDisputes.map((r) => ({
        purchase_id: r.purchaseId,
        currency: r.currency,
        amount_cents: r.amountCents,
        frozen_cents: r.frozenCents,
        disputed_at: r.disputedAt.toISOString(),
      })),
    };
  }
}
