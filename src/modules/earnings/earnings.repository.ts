import { Injectable } from '@nestjs/common';
import { Database, type Db, type Tx } from '../../platform/database/database';
import { newId } from '../../platform/ids';
import type { Keyset } from '../../platform/pagination/pagination';
import { saleLegs } from './splits';

export interface PayoutAccountRow {
  userId: string;
  stripeAccountId: string | null;
  country: string | null;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  transfersActive: boolean;
  requirementsDue: string[];
  disabledReason: string | null;
}

/** What Stripe says of a connected account (re-read from Stripe, never taken from a webhook body). */
export interface AccountState {
  stripeAccountId: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  transfersActive: boolean;
  requirementsDue: string[];
  disabledReason: string | null;
}

export interface ClaimedTransfer {
  id: string;
  userId: string;
  stripeAccountId: string;
  currency: string;
  amountCents: number;
  /** the sale's purchase when every leg comes from one sale (its charge is the source_transaction) */
  singlePurchaseId: string | null;
}

export interface BalanceRow {
  currency: string;
  pending: number;
  available: number;
  inTransit: number;
  paid: number;
  held: number;
  negative: number;
}

export interface LegRow {
  id: string;
  purchaseId: string;
  trackId: string;
  creditedUserId: string;
  currency: string;
  amountCents: number;
  shareBps: number;
  kind: string;
  status: string;
  availableAt: Date;
  frozenAt: Date | null;
  voidedAt: Date | null;
  transferId: string | null;
  reversalId: string | null;
  reversalStatus: string | null;
  recoversLegId: string | null;
  createdAt: Date;
}

export interface CreditRow {
  creditId: string;
  trackId: string;
  trackTitle: string;
  ownerId: string;
  role: string;
  splitPercent: string;
  status: string;
  createdAt: Date;
  respondedAt: Date | null;
}

const ACCOUNT_COLUMNS = `user_id AS "userId", stripe_account_id AS "stripeAccountId", country,
  charges_enabled AS "chargesEnabled", payouts_enabled AS "payoutsEnabled", transfers_active AS "transfersActive",
  COALESCE(requirements_due, '{}') AS "requirementsDue", disabled_reason AS "disabledReason"`;

/** A leg that may go into a transfer now: owed, past its hold, not frozen by a dispute, not voided. */
const TRANSFERABLE = `status = 'open' AND available_at <= $3 AND frozen_at IS NULL AND voided_at IS NULL`;

/** The account can receive transfers, as Stripe last said. */
export const accountReady = (
  a: Pick<PayoutAccountRow, 'stripeAccountId' | 'transfersActive' | 'payoutsEnabled' | 'disabledReason'>,
) => !!a.stripeAccountId && a.transfersActive && a.payoutsEnabled && !a.disabledReason;

/**
 * The earnings ledger, payout accounts, transfers and reversals. Every state change is one
 * conditional statement or runs under the row or advisory lock named beside it.
 */
@Injectable()
export class EarningsRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  // ---- payout accounts --------------------------------------------------------------------------

  /** The caller's row, claimed once (the first country given wins); returns the row as stored. */
  async claimPayoutAccount(userId: string, country: string, at: Date): Promise<PayoutAccountRow> {
    await this.db.execute(
      `INSERT INTO payout_accounts (user_id, country, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (user_id) DO NOTHING`,
      [userId, country, at],
    );
    return (await this.payoutAccount(userId))!;
  }

  async payoutAccount(userId: string, db: Db = this.db): Promise<PayoutAccountRow | null> {
    const [row] = await db.query<PayoutAccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM payout_accounts WHERE user_id = $1`,
      [userId],
    );
    return row ?? null;
  }

  /** Records the Stripe account made for the row (the same one whoever asked: one idempotency key). */
  async setStripeAccount(userId: string, state: AccountState, readAt: Date, at: Date): Promise<void> {
    await this.db.execute(
      `UPDATE payout_accounts SET stripe_account_id = $2, updated_at = $3
       WHERE user_id = $1 AND stripe_account_id IS NULL`,
      [userId, state.stripeAccountId, at],
    );
    await this.applyAccount(this.db, state, readAt, at);
  }

  /**
   * Stripe's state of an account as read at `readAt` (before the call that read it); a state read
   * before the one recorded is stale and left out (two webhooks applying in either order). False
   * when the account is not one of ours, or the state is stale.
   */
  async applyAccount(db: Db, s: AccountState, readAt: Date, at: Date): Promise<boolean> {
    return (
      (await db.execute(
        `UPDATE payout_accounts SET charges_enabled = $2, payouts_enabled = $3, transfers_active = $4,
           requirements_due = $5, disabled_reason = $6, updated_at = $7, state_read_at = $8,
           retry_after = CASE WHEN $4 AND $3 AND $6::text IS NULL THEN NULL ELSE retry_after END
         WHERE stripe_account_id = $1 AND (state_read_at IS NULL OR state_read_at <= $8)`,
        [
          s.stripeAccountId,
          s.chargesEnabled,
          s.payoutsEnabled,
          s.transfersActive,
          s.requirementsDue,
          s.disabledReason,
          at,
          readAt,
        ],
      )) > 0
    );
  }

  // ---- sales ------------------------------------------------------------------------------------

  /**
   * Writes a fulfilled sale's legs (in the license's transaction): amount − fee split by the
   * credits in force now, read FOR SHARE so an acceptance or a change of credits waits for the
   * sale (or the sale for it). A pending credit's leg is held; a declined one's share is the
   * owner's. Once per sale (unique per purchase and credited person).
   */
  async recordSale(tx: Tx, purchaseId: string, holdDays: number, at: Date): Promise<number> {
    const [sale] = await tx.query<{ net: number; currency: string; trackId: string; ownerId: string }>(
      `SELECT p.amount_cents - p.platform_fee_cents AS net, p.currency, p.track_id AS "trackId", t.owner_id AS "ownerId"
       FROM purchases p JOIN tracks t ON t.id = p.track_id WHERE p.id = $1`,
      [purchaseId],
      'earnings_sale',
    );
    if (!sale || sale.net <= 0) return 0;
    const credits = await tx.query<{ userId: string; bps: number; status: string }>(
      `SELECT user_id AS "userId", round(split_percent * 100)::int AS bps, credit_status AS status
       FROM track_collaborators WHERE track_id = $1 ORDER BY (user_id = $2) DESC, created_at, user_id FOR SHARE`,
      [sale.trackId, sale.ownerId],
      'earnings_sale_credits',
    );
    const legs = saleLegs(sale.net, sale.ownerId, credits);
    if (!legs.length) return 0;
    await tx.execute(
      `INSERT INTO earnings_legs (id, user_id, credited_user_id, purchase_id, track_id, currency, amount_cents,
                                 share_bps, kind, status, available_at, created_at, updated_at)
       SELECT l.id, l.user_id, l.user_id, $1, $2, $3, l.cents, l.bps, 'sale', l.status::leg_status,
              $4::timestamptz + make_interval(days => $5), $4, $4
       FROM unnest($6::text[], $7::text[], $8::int[], $9::int[], $10::text[]) AS l(id, user_id, cents, bps, status)
       ON CONFLICT (purchase_id, credited_user_id) WHERE kind = 'sale' DO NOTHING`,
      [
        purchaseId,
        sale.trackId,
        sale.currency,
        at,
        holdDays,
        legs.map(() => newId('leg')),
        legs.map((l) => l.userId),
        legs.map((l) => l.cents),
        legs.map((l) => l.bps),
        legs.map((l) => (l.held ? 'held' : 'open')),
      ],
      'earnings_record_sale',
    );
    return legs.length;
  }

  /** A dispute opened or won: the sale's legs are kept out of transfers, or back in. */
  async setSaleFrozen(tx: Tx, purchaseId: string, frozen: boolean, at: Date): Promise<void> {
    await tx.execute(
      `UPDATE earnings_legs SET frozen_at = CASE WHEN $2 THEN COALESCE(frozen_at, $3) END, updated_at = $3
       WHERE purchase_id = $1 AND kind = 'sale' AND (frozen_at IS NULL) = $2`,
      [purchaseId, frozen, at],
    );
  }

  /**
   * A refunded sale (or a lost dispute): legs not transferred are cancelled; legs in transit are
   * marked (their transfer's outcome settles them); paid legs get a reversal claimed. Returns the
   * reversals claimed now, for their jobs.
   */
  async voidSale(tx: Tx, purchaseId: string, at: Date): Promise<string[]> {
    await tx.execute(
      `UPDATE earnings_legs SET voided_at = COALESCE(voided_at, $2), updated_at = $2,
         status = CASE WHEN status IN ('held', 'open') THEN 'cancelled'::leg_status ELSE status END
       WHERE purchase_id = $1 AND kind = 'sale' AND voided_at IS NULL`,
      [purchaseId, at],
    );
    return this.claimReversals(tx, `l.purchase_id = $1`, [purchaseId], at);
  }

  /** Reversals for the voided, paid legs matched by `where` (once per leg: unique leg_id). */
  private async claimReversals(tx: Tx, where: string, params: unknown[], at: Date): Promise<string[]> {
    const n = params.length;
    const rows = await tx.query<{ id: string }>(
      `INSERT INTO reversals (id, leg_id, transfer_id, amount_cents, status, created_at, updated_at)
       SELECT 'rev_' || substr(md5(l.id), 1, 26), l.id, l.transfer_id, l.amount_cents, 'claimed', $${n + 1}, $${n + 1}
       FROM earnings_legs l
       WHERE ${where} AND l.status = 'paid' AND l.voided_at IS NOT NULL AND l.amount_cents > 0
       ON CONFLICT (leg_id) DO NOTHING
       RETURNING id`,
      [...params, at],
    );
    return rows.map((r) => r.id);
  }

  // ---- credits ----------------------------------------------------------------------------------

  async credits(userId: string): Promise<CreditRow[]> {
    return this.db.query<CreditRow>(
      `SELECT c.credit_id AS "creditId", c.track_id AS "trackId", t.title AS "trackTitle", t.owner_id AS "ownerId",
              c.role, c.split_percent::text AS "splitPercent", c.credit_status AS status,
              c.created_at AS "createdAt", c.responded_at AS "respondedAt"
       FROM track_collaborators c JOIN tracks t ON t.id = c.track_id
       WHERE c.user_id = $1 AND t.owner_id <> $1
       ORDER BY c.created_at DESC, c.credit_id DESC LIMIT 500`,
      [userId],
    );
  }

  /** The person a credit names (null: no such credit, or the track owner's own). */
  async creditHolder(creditId: string): Promise<{ userId: string } | null> {
    const [row] = await this.db.query<{ userId: string }>(
      `SELECT c.user_id AS "userId" FROM track_collaborators c JOIN tracks t ON t.id = c.track_id
       WHERE c.credit_id = $1 AND c.user_id <> t.owner_id`,
      [creditId],
    );
    return row ?? null;
  }

  /**
   * Accepts or declines a credit of the caller's (the credit row's lock orders it against a sale
   * reading the credits). Accepted: the legs held for it become owed to them; declined: those legs
   * are the owner's. Null when the credit is not the caller's.
   */
  async respondToCredit(
    userId: string,
    creditId: string,
    answer: 'accepted' | 'declined',
    at: Date,
  ): Promise<CreditRow | null> {
    return this.db.transaction(async (tx) => {
      const [credit] = await tx.query<{ trackId: string; ownerId: string }>(
        `UPDATE track_collaborators c SET credit_status = $3::credit_status, responded_at = $4
         FROM tracks t
         WHERE c.credit_id = $1 AND c.user_id = $2 AND t.id = c.track_id AND t.owner_id <> $2
         RETURNING c.track_id AS "trackId", t.owner_id AS "ownerId"`,
        [creditId, userId, answer, at],
      );
      if (!credit) return null;
      await tx.execute(
        `UPDATE earnings_legs SET status = 'open', user_id = CASE WHEN $4 = 'declined' THEN $3 ELSE user_id END,
           updated_at = $5
         WHERE credited_user_id = $1 AND track_id = $2 AND status = 'held'`,
        [userId, credit.trackId, credit.ownerId, answer, at],
      );
      const [row] = await tx.query<CreditRow>(
        `SELECT c.credit_id AS "creditId", c.track_id AS "trackId", t.title AS "trackTitle", t.owner_id AS "ownerId",
                c.role, c.split_percent::text AS "splitPercent", c.credit_status AS status,
                c.created_at AS "createdAt", c.responded_at AS "respondedAt"
         FROM track_collaborators c JOIN tracks t ON t.id = c.track_id WHERE c.credit_id = $1`,
        [creditId],
      );
      return row;
    });
  }

  /** Held legs of credits removed from a track become owed to their holders (EarningsLedger). */
  async releaseHeld(tx: Tx, trackId: string, userIds: string[], at: Date): Promise<void> {
    await tx.execute(
      `UPDATE earnings_legs SET status = 'open', updated_at = $3
       WHERE track_id = $1 AND credited_user_id = ANY($2::text[]) AND status = 'held'`,
      [trackId, userIds, at],
    );
  }

  // ---- transfers --------------------------------------------------------------------------------

  /** Currencies in which the user has legs that could be transferred now. */
  async transferableCurrencies(userId: string, at: Date): Promise<string[]> {
    const rows = await this.db.query<{ currency: string }>(
      `SELECT DISTINCT currency FROM earnings_legs
       WHERE user_id = $1 AND status = 'open' AND available_at <= $2 AND frozen_at IS NULL AND voided_at IS NULL`,
      [userId, at],
    );
    return rows.map((r) => r.currency);
  }

  /**
   * Claims the user's transferable legs in one currency as one transfer, when the account is
   * ready and their sum (negative legs included) reaches the minimum. Under the user's transfer
   * lock; the legs are locked FOR UPDATE (a dispute or refund touching one waits, or is seen).
   * `not_ready` / `below_minimum` / the claimed transfer.
   */
  async claimTransfer(
    tx: Tx,
    userId: string,
    currency: string,
    minimumCents: number,
    at: Date,
  ): Promise<ClaimedTransfer | 'not_ready' | { belowMinimum: number }> {
    {
      await tx.execute('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`transfer:${userId}`]);
      const [account] = await tx.query<PayoutAccountRow & { retryAfter: Date | null }>(
        `SELECT ${ACCOUNT_COLUMNS}, retry_after AS "retryAfter" FROM payout_accounts WHERE user_id = $1 FOR SHARE`,
        [userId],
      );
      if (!account || !accountReady(account)) return 'not_ready';
      const legs = await tx.query<{ id: string; amountCents: number; purchaseId: string }>(
        `SELECT id, amount_cents AS "amountCents", purchase_id AS "purchaseId" FROM earnings_legs
         WHERE user_id = $1 AND currency = $2 AND ${TRANSFERABLE}
         ORDER BY id FOR UPDATE`,
        [userId, currency, at],
        'earnings_transferable_legs',
      );
      const total = legs.reduce((sum, l) => sum + l.amountCents, 0);
      if (total < minimumCents) return { belowMinimum: total };
      const id = newId('tr');
      await tx.execute(
        `INSERT INTO transfers (id, user_id, stripe_account_id, currency, amount_cents, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'claimed', $6, $6)`,
        [id, userId, account.stripeAccountId, currency, total, at],
      );
      await tx.execute(
        `UPDATE earnings_legs SET status = 'in_transit', transfer_id = $1, updated_at = $3 WHERE id = ANY($2::text[])`,
        [id, legs.map((l) => l.id), at],
      );
      const purchases = new Set(legs.filter((l) => l.amountCents > 0).map((l) => l.purchaseId));
      return {
        id,
        userId,
        stripeAccountId: account.stripeAccountId!,
        currency,
        amountCents: total,
        singlePurchaseId: purchases.size === 1 ? [...purchases][0] : null,
      };
    }
  }

  async transfer(
    id: string,
  ): Promise<
    (ClaimedTransfer & { status: string; stripeTransferId: string | null; createdAt: Date }) | null
  > {
    const [row] = await this.db.query<
      ClaimedTransfer & { status: string; stripeTransferId: string | null; createdAt: Date }
    >(
      `SELECT t.id, t.user_id AS "userId", t.stripe_account_id AS "stripeAccountId", t.currency,
              t.amount_cents AS "amountCents", t.status, t.stripe_transfer_id AS "stripeTransferId",
              t.created_at AS "createdAt",
              CASE WHEN count(DISTINCT l.purchase_id) FILTER (WHERE l.amount_cents > 0) = 1
                   THEN min(l.purchase_id) FILTER (WHERE l.amount_cents > 0) END AS "singlePurchaseId"
       FROM transfers t LEFT JOIN earnings_legs l ON l.transfer_id = t.id
       WHERE t.id = $1 GROUP BY t.id`,
      [id],
    );
    return row ?? null;
  }

  async paymentIntentOf(purchaseId: string): Promise<string | null> {
    const [row] = await this.db.query<{ pi: string | null }>(
      'SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1',
      [purchaseId],
    );
    return row?.pi ?? null;
  }

  /**
   * Stripe made the transfer: its legs are paid; those whose sale was refunded meanwhile get
   * their reversal claimed (returned, for their jobs). Once: only a claimed transfer moves.
   */
  async transferSent(id: string, stripeTransferId: string, at: Date): Promise<string[] | null> {
    return this.db.transaction(async (tx) => {
      const [t] = await tx.query<{ userId: string }>(
        `UPDATE transfers SET status = 'sent', stripe_transfer_id = $2, attempts = attempts + 1, updated_at = $3
         WHERE id = $1 AND status = 'claimed' RETURNING user_id AS "userId"`,
        [id, stripeTransferId, at],
      );
      if (!t) return null;
      const legs = await tx.query<{ voided: boolean }>(
        `UPDATE earnings_legs SET status = 'paid', updated_at = $2 WHERE transfer_id = $1
         RETURNING voided_at IS NOT NULL AS voided`,
        [id, at],
      );
      await tx.execute(`UPDATE payout_accounts SET failures = 0, retry_after = NULL WHERE user_id = $1`, [
        t.userId,
      ]);
      // a sale refunded while its share was in transit: the share is reversed now
      return legs.some((l) => l.voided) ? this.claimReversals(tx, `l.transfer_id = $1`, [id], at) : [];
    });
  }

  /**
   * Stripe refused the transfer: its legs are owed again (a refunded sale's are cancelled) and
   * the account waits `backoffSeconds` × 2^failures before the daily job tries again.
   */
  async transferFailed(id: string, reason: string, backoffSeconds: number, at: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [t] = await tx.query<{ userId: string }>(
        `UPDATE transfers SET status = 'failed', failure = $2, attempts = attempts + 1, updated_at = $3
         WHERE id = $1 AND status = 'claimed' RETURNING user_id AS "userId"`,
        [id, reason.slice(0, 500), at],
      );
      if (!t) return false;
      await tx.execute(
        `UPDATE earnings_legs SET transfer_id = NULL, updated_at = $2,
           status = CASE WHEN voided_at IS NULL THEN 'open'::leg_status ELSE 'cancelled'::leg_status END
         WHERE transfer_id = $1`,
        [id, at],
      );
      await tx.execute(
        `UPDATE payout_accounts SET failures = failures + 1,
           retry_after = $2::timestamptz + make_interval(secs => $3 * power(2, LEAST(failures, 6)))
         WHERE user_id = $1`,
        [t.userId, at, backoffSeconds],
      );
      return true;
    });
  }

  async touchTransfer(id: string, at: Date): Promise<void> {
    await this.db.execute(`UPDATE transfers SET attempts = attempts + 1, updated_at = $2 WHERE id = $1`, [
      id,
      at,
    ]);
  }

  /** Transfers claimed before `before` and never resolved (a crash between claim and record). */
  async stuckTransfers(before: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM transfers WHERE status = 'claimed' AND updated_at < $1 ORDER BY updated_at LIMIT 1000`,
      [before],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Users with transferable money whose account is ready and not backing off, after `after`
   * (keyset on user id), for the daily job.
   */
  async dueProducers(at: Date, after: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ userId: string }>(
      `SELECT a.user_id AS "userId" FROM payout_accounts a
       WHERE a.user_id > $2 AND a.stripe_account_id IS NOT NULL AND a.transfers_active AND a.payouts_enabled
         AND a.disabled_reason IS NULL AND (a.retry_after IS NULL OR a.retry_after <= $1)
         AND EXISTS (SELECT 1 FROM earnings_legs l WHERE l.user_id = a.user_id AND l.status = 'open'
                      AND l.available_at <= $1 AND l.frozen_at IS NULL AND l.voided_at IS NULL)
       ORDER BY a.user_id LIMIT $3`,
      [at, after, limit],
    );
    return rows.map((r) => r.userId);
  }

  // ---- reversals --------------------------------------------------------------------------------

  async reversal(id: string): Promise<{
    id: string;
    status: string;
    amountCents: number;
    stripeTransferId: string | null;
    legId: string;
  } | null> {
    const [row] = await this.db.query<{
      id: string;
      status: string;
      amountCents: number;
      stripeTransferId: string | null;
      legId: string;
    }>(
      `SELECT r.id, r.status, r.amount_cents AS "amountCents", t.stripe_transfer_id AS "stripeTransferId", r.leg_id AS "legId"
       FROM reversals r JOIN transfers t ON t.id = r.transfer_id WHERE r.id = $1`,
      [id],
    );
    return row ?? null;
  }

  async reversalDone(id: string, stripeReversalId: string, at: Date): Promise<void> {
    await this.db.execute(
      `UPDATE reversals SET status = 'reversed', stripe_reversal_id = $2, updated_at = $3 WHERE id = $1 AND status = 'claimed'`,
      [id, stripeReversalId, at],
    );
  }

  /**
   * Stripe refused the reversal (the account lacks the balance): the producer owes it, a negative
   * leg recovered from their next earnings. Once per leg (unique recovers_leg_id).
   */
  async reversalRefused(id: string, at: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [r] = await tx.query<{ legId: string }>(
        `UPDATE reversals SET status = 'refused', updated_at = $2 WHERE id = $1 AND status = 'claimed' RETURNING leg_id AS "legId"`,
        [id, at],
      );
      if (!r) return;
      await tx.execute(
        `INSERT INTO earnings_legs (id, user_id, credited_user_id, purchase_id, track_id, currency, amount_cents, share_bps,
                                   kind, status, available_at, created_at, updated_at, recovers_leg_id)
         SELECT $2, l.user_id, l.credited_user_id, l.purchase_id, l.track_id, l.currency, -l.amount_cents, 0,
                'recovery', 'open', $3, $3, $3, l.id
         FROM earnings_legs l WHERE l.id = $1
         ON CONFLICT (recovers_leg_id) DO NOTHING`,
        [r.legId, newId('leg'), at],
      );
    });
  }

  async claimedReversals(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT r.id FROM reversals r JOIN transfers t ON t.id = r.transfer_id
       WHERE r.status = 'claimed' AND t.stripe_transfer_id IS NOT NULL LIMIT 1000`,
    );
    return rows.map((r) => r.id);
  }

  // ---- what producers and admins see ------------------------------------------------------------

  async balances(userId: string, at: Date): Promise<BalanceRow[]> {
    return this.db.query<BalanceRow>(
      `SELECT currency,
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'open' AND amount_cents > 0
                  AND (available_at > $2 OR frozen_at IS NOT NULL)), 0)::int AS pending,
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'open' AND amount_cents > 0
                  AND available_at <= $2 AND frozen_at IS NULL), 0)::int AS available,
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'in_transit'), 0)::int AS "inTransit",
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'paid'
                  AND NOT EXISTS (SELECT 1 FROM reversals r WHERE r.leg_id = l.id AND r.status = 'reversed')), 0)::int AS paid,
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'held'), 0)::int AS held,
         COALESCE(sum(amount_cents) FILTER (WHERE status = 'open' AND amount_cents < 0), 0)::int AS negative
       FROM earnings_legs l WHERE user_id = $1 GROUP BY currency ORDER BY currency`,
      [userId, at],
    );
  }

  async entries(userId: string, limit: number, after?: Keyset): Promise<LegRow[]> {
    return this.db.query<LegRow>(
      `SELECT l.id, l.purchase_id AS "purchaseId", l.track_id AS "trackId", l.credited_user_id AS "creditedUserId",
              l.currency, l.amount_cents AS "amountCents", l.share_bps AS "shareBps", l.kind, l.status::text,
              l.available_at AS "availableAt", l.frozen_at AS "frozenAt", l.voided_at AS "voidedAt",
              l.transfer_id AS "transferId", r.id AS "reversalId", r.status::text AS "reversalStatus",
              l.recovers_leg_id AS "recoversLegId", l.created_at AS "createdAt"
       FROM earnings_legs l LEFT JOIN reversals r ON r.leg_id = l.id
       WHERE l.user_id = $1 AND ($3::timestamptz IS NULL OR (l.created_at, l.id) < ($3, $4))
       ORDER BY l.created_at DESC, l.id DESC LIMIT $2`,
      [userId, limit, after?.at ?? null, after?.id ?? null],
    );
  }

  /**
   * Sales of the user's tracks (as owner) between two instants, grouped: count, gross (what
   * buyers paid), fee (the platform's) and net (the rest). Sales refunded, being refunded or
   * lost to a dispute are left out.
   */
  async sales(
    userId: string,
    from: Date,
    to: Date,
    groupBy: 'day' | 'track' | 'license_type',
  ): Promise<{ key: string; currency: string; count: number; gross: number; fee: number; net: number }[]> {
    const key = {
      day: `to_char(p.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
      track: 'p.track_id',
      license_type: 'p.license_type::text',
    }[groupBy];
    return this.db.query(
      `SELECT ${key} AS key, p.currency, count(*)::int AS count, sum(p.amount_cents)::int AS gross,
              sum(p.platform_fee_cents)::int AS fee, sum(p.amount_cents - p.platform_fee_cents)::int AS net
       FROM purchases p JOIN tracks t ON t.id = p.track_id
       WHERE t.owner_id = $1 AND p.paid_at >= $2 AND p.paid_at < $3 AND p.status = 'succeeded'
         AND EXISTS (SELECT 1 FROM licenses l WHERE l.purchase_id = p.id)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [userId, from, to],
    );
  }

  /** Money waiting: on accounts not ready, on acceptances; failed transfers; open disputes. */
  async holds(at: Date) {
    const [waitingOnAccounts, waitingOnAcceptance, failedTransfers, openDisputes] = await Promise.all([
      this.db.query<{ userId: string; currency: string; amountCents: number; reason: string }>(
        `SELECT l.user_id AS "userId", l.currency, sum(l.amount_cents)::int AS "amountCents",
                CASE WHEN a.user_id IS NULL THEN 'no_payout_account'
                     WHEN a.disabled_reason IS NOT NULL THEN 'disabled: ' || a.disabled_reason
                     WHEN NOT (a.transfers_active AND a.payouts_enabled) THEN 'onboarding_unfinished'
                     ELSE 'below_minimum' END AS reason
         FROM earnings_legs l LEFT JOIN payout_accounts a ON a.user_id = l.user_id
         WHERE l.status = 'open' AND l.available_at <= $1 AND l.frozen_at IS NULL
         GROUP BY l.user_id, l.currency, a.user_id, a.disabled_reason, a.transfers_active, a.payouts_enabled
         HAVING sum(l.amount_cents) <> 0
         ORDER BY 3 DESC LIMIT 200`,
        [at],
      ),
      this.db.query<{ userId: string; trackId: string; currency: string; amountCents: number }>(
        `SELECT credited_user_id AS "userId", track_id AS "trackId", currency, sum(amount_cents)::int AS "amountCents"
         FROM earnings_legs WHERE status = 'held' GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 200`,
      ),
      this.db.query<{
        id: string;
        userId: string;
        currency: string;
        amountCents: number;
        failure: string | null;
        at: Date;
      }>(
        `SELECT id, user_id AS "userId", currency, amount_cents AS "amountCents", failure, updated_at AS at
         FROM transfers WHERE status = 'failed' ORDER BY updated_at DESC LIMIT 200`,
      ),
      this.db.query<{
        purchaseId: string;
        amountCents: number;
        currency: string;
        disputedAt: Date;
        frozenCents: number;
      }>(
        `SELECT p.id AS "purchaseId", p.amount_cents AS "amountCents", p.currency, p.disputed_at AS "disputedAt",
                COALESCE((SELECT sum(amount_cents) FROM earnings_legs l WHERE l.purchase_id = p.id
                           AND l.frozen_at IS NOT NULL AND l.status IN ('held', 'open')), 0)::int AS "frozenCents"
         FROM purchases p WHERE p.disputed_at IS NOT NULL AND p.dispute_closed_at IS NULL
         ORDER BY p.disputed_at DESC LIMIT 200`,
      ),
    ]);
    return { waitingOnAccounts, waitingOnAcceptance, failedTransfers, openDisputes };
  }
}
