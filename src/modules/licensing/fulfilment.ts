import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Purchase } from '@prisma/client';
import Stripe from 'stripe';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { JobsService } from '../../platform/jobs/jobs.service';
import { refusedByStripe } from '../../platform/payments/payment-errors';
import { StripeClient } from '../../platform/payments/stripe.client';
import type { Tx } from '../../platform/database/database';
import { SplitSheetsService } from '../split-sheets/split-sheets.service';
import { LicensingRepository, type PaymentFact, type PurchaseRow } from './licensing.repository';
import { PurchaseErrors, RefundErrors } from './licensing.errors';
import { EarningsLedger } from '../earnings/ledger';
import { AuditRepository } from '../../platform/audit/audit.repository';
import { AppConfig } from '../../config/config';

const REFUND_JOB = 'purchase.refund';
/** a checkout's window ended: claim the expiry, then cancel its PaymentIntent at Stripe */
const EXPIRE_JOB = 'purchase.expire';
/** a payment for a purchase that no longer exists (its track was deleted): refund it */
const ORPHAN_REFUND_JOB = 'purchase.refund-orphan';

/**
 * What a payment's facts mean for its purchase. Stripe tells us that a PaymentIntent succeeded,
 * was refunded or disputed — by the synchronous confirmation, by webhooks, in any order and any
 * number of times. Each fact is recorded on the purchase (under its row lock), then `settle`
 * derives the state from all facts known so far, so every order of arrival ends the same:
 *
 * - paid, no conflict → a license (revoked if the payment was refunded or its dispute lost;
 *   frozen while a dispute is open) and the sale's earnings legs;
 * - paid, but the track's exclusive is sold or the buyer already holds that license → no
 *   license; a refund is queued (job, Stripe idempotency key per purchase: refunded once);
 * - paid after the checkout expired → no license, refunded once (same refund job);
 * - refunded, or a dispute lost → purchase `refunded`, license revoked, legs voided (reversed
 *   where already transferred).
 *
 * A checkout that expires is claimed `expired` in the database first; then its PaymentIntent is
 * canceled at Stripe (job), so the client_secret the buyer holds can no longer pay it. A checkout
 * that could no longer be paid goes with its track when the track is deleted; should its
 * PaymentIntent still succeed (the cancellation had not reached Stripe yet), the payment names a
 * purchase that is gone and is refunded once (job, idempotency key per PaymentIntent).
 */
@Injectable()
export class Fulfilment implements OnModuleInit {
  private readonly logger = new Logger(Fulfilment.name);

  constructor(
    private readonly repo: LicensingRepository,
    private readonly jobs: JobsService,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
    private readonly ledger: EarningsLedger,
    private readonly audit: AuditRepository,
    private readonly config: AppConfig,
    private readonly splitSheets: SplitSheetsService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<{ purchaseId: string }>({
      name: REFUND_JOB,
      handler: (data) => this.refund(data.purchaseId),
      retryLimit: 10,
      retryDelay: 30,
    });
    this.jobs.register<{ paymentIntentId: string }>({
      name: ORPHAN_REFUND_JOB,
      handler: (data) => this.refundOrphan(data.paymentIntentId),
      retryLimit: 10,
      retryDelay: 30,
    });
    this.jobs.register<{ purchaseId: string }>({
      name: EXPIRE_JOB,
      handler: (data) => this.expireCheckout(data.purchaseId),
      retryLimit: 10,
      retryDelay: 30,
    });
  }

  /**
   * The purchase a PaymentIntent read from Stripe pays for: null when it is not a purchase
   * (a payment of Stripe's for something else, e.g. a subscription invoice). One that claims to
   * be a purchase of ours (metadata) but is paid by another intent, or whose amount or currency
   * differ from the purchase's, is refused (bad_request). One that names a purchase which no
   * longer exists (deleted with its track) is not a purchase any more: if Stripe says it
   * succeeded, its refund is queued.
   */
  async purchaseOf(pi: Stripe.PaymentIntent): Promise<PurchaseRow | null> {
    const purchase = await this.repo.purchaseByPaymentIntent(pi.id);
    if (!purchase) {
      const named = pi.metadata?.purchase_id;
      if (!named) return null;
      if (await this.repo.purchase(named))
        throw new AppError(GeneralErrors.badRequest, { message: `No purchase for PaymentIntent ${pi.id}.` });
      if (pi.status === 'succeeded')
        await this.jobs.enqueue(ORPHAN_REFUND_JOB, { paymentIntentId: pi.id }, { singletonKey: pi.id });
      return null;
    }
    if (
      pi.amount !== purchase.amountCents ||
      pi.currency?.toLowerCase() !== purchase.currency.toLowerCase()
    ) {
      throw new AppError(GeneralErrors.badRequest, {
        message: `PaymentIntent ${pi.id} does not match its purchase's amount.`,
      });
    }
    return purchase;
  }

  purchaseOfIntent(paymentIntentId: string): Promise<PurchaseRow | null> {
    return this.repo.purchaseByPaymentIntent(paymentIntentId);
  }

  /**
   * Expires the checkout in `seconds` (a delayed job). Best effort: reading or confirming the
   * purchase also expires it, so a checkout whose job could not be queued still ends.
   */
  async scheduleExpiry(purchaseId: string, seconds: number): Promise<void> {
    await this.jobs
      .enqueue(EXPIRE_JOB, { purchaseId }, { startAfterSeconds: seconds })
      .catch((err: Error) => this.logger.warn(`expiry of checkout ${purchaseId} not queued: ${err.message}`));
  }

  /**
   * Claims the expiry of a checkout whose window ended (status `expired`, in the database first)
   * and queues the cancellation of its PaymentIntent in the same transaction. False when it was
   * not due or not waiting for payment any more.
   */
  async expire(purchaseId: string): Promise<boolean> {
    return this.repo.transaction(async (tx) => {
      const claimed = await this.repo.expirePurchase(tx, purchaseId, this.clock.now());
      if (claimed) await this.jobs.enqueue(EXPIRE_JOB, { purchaseId }, { tx });
      return claimed;
    });
  }

  /**
   * The job: an expired checkout's PaymentIntent is canceled at Stripe (idempotency key per
   * purchase). If Stripe says it was paid meanwhile, that payment is recorded, and `settle`
   * refunds it.
   */
  private async expireCheckout(purchaseId: string): Promise<void> {
    let purchase = await this.repo.purchase(purchaseId);
    if (purchase?.status === 'requires_payment') {
      if (purchase.expiresAt > this.clock.now()) throw new Error(`checkout ${purchaseId} is not due yet`);
      await this.expire(purchaseId);
      purchase = await this.repo.purchase(purchaseId);
    }
    if (!purchase?.stripePaymentIntentId || purchase.status !== 'expired' || purchase.paidAt) return;
    const paymentIntentId = purchase.stripePaymentIntentId;
    try {
      await this.stripe.api.paymentIntents.cancel(
        paymentIntentId,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey: `purchase:${purchaseId}:cancel` },
      );
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError && err.code === 'payment_intent_unexpected_state'))
        throw err;
      const pi = await this.stripe.api.paymentIntents.retrieve(paymentIntentId);
      if (pi.status === 'succeeded') {
        await this.repo.transaction((tx) => this.paymentSucceeded(tx, paymentIntentId));
      }
    }
  }

  /** Returns the purchase as the transaction leaves it (null: not a purchase of ours). */
  paymentSucceeded(tx: Tx, paymentIntentId: string): Promise<PurchaseRow | null> {
    return this.record(tx, paymentIntentId, 'paid');
  }

  /** A refund implies the payment succeeded, whether or not that event came first. */
  paymentRefunded(tx: Tx, paymentIntentId: string): Promise<PurchaseRow | null> {
    return this.record(tx, paymentIntentId, 'refunded');
  }

  /** A dispute opened: the license and the sale's legs are frozen until it closes. */
  paymentDisputed(tx: Tx, paymentIntentId: string): Promise<PurchaseRow | null> {
    return this.record(tx, paymentIntentId, 'disputed');
  }

  /** A dispute closed: won unfreezes; lost acts as a refund (license revoked, legs voided). */
  disputeClosed(tx: Tx, paymentIntentId: string, outcome: 'won' | 'lost'): Promise<PurchaseRow | null> {
    return this.record(tx, paymentIntentId, outcome === 'won' ? 'dispute_won' : 'dispute_lost');
  }

  async paymentFailed(tx: Tx, paymentIntentId: string, message: string): Promise<void> {
    await this.repo.recordPaymentFailure(tx, paymentIntentId, message, this.clock.now());
  }

  /** The fact, recorded under the purchase's row lock (one statement), then `settle`. */
  private async record(tx: Tx, paymentIntentId: string, fact: PaymentFact): Promise<PurchaseRow | null> {
    const purchase = await this.repo.recordFact(tx, paymentIntentId, fact, this.clock.now());
    if (!purchase) return null; // not a purchase of ours (e.g. a subscription invoice)
    await this.settle(tx, purchase);
    return purchase;
  }

  private async settle(tx: Tx, p: PurchaseRow): Promise<void> {
    const now = this.clock.now();
    const lost = p.disputeOutcome === 'lost';
    // a lost dispute acts as a refund; an open one only freezes the license and the sale's legs
    const revoked = p.refundedAt ? 'refunded' : lost ? 'dispute_lost' : null;
    const frozen = !!p.disputedAt && !p.disputeClosedAt;
    // a license seen by recordFact exists; none seen may be one a concurrent holder of the lock
    // issued, so the sales lock's statement reads it again
    const licenseId = p.license?.id ?? (await this.repo.lockSalesAndReadLicense(tx, p.id, p.trackId));
    if (licenseId) {
      p.license = { id: licenseId };
      if (revoked) {
        await this.repo.revokeLicense(tx, licenseId, revoked, now);
        await this.ledger.voidSale(tx, p.id, now);
      } else if (frozen || p.disputeOutcome === 'won') {
        // only a dispute's facts move the freeze: a paid sale's later facts cost no statement; a
        // won dispute leaves a sale being refunded frozen
        await this.ledger.setFrozen(tx, p.id, frozen || p.status === 'refunding', now);
      }
      await this.setStatus(
        tx,
        p,
        revoked ? 'refunded' : p.status === 'refunding' ? 'refunding' : 'succeeded',
      );
      return;
    }
    if (!p.paidAt || p.status === 'refunding' || p.status === 'refunded') {
      if (p.status === 'refunding' && (p.refundedAt || lost)) await this.setStatus(tx, p, 'refunded');
      return;
    }
    if (p.status === 'expired') {
      // paid after its checkout expired (the PaymentIntent was not canceled in time): no license
      if (p.refundedAt || lost) {
        await this.setStatus(tx, p, 'refunded');
      } else {
        await this.setStatus(tx, p, 'refunding');
        await this.jobs.enqueue(REFUND_JOB, { purchaseId: p.id }, { tx, singletonKey: p.id });
      }
      return;
    }
    // under the track's sales lock (taken above); the partial unique indexes are the last word
    const issued = await this.repo.issuePurchaseLicense(
      tx,
      p,
      revoked ? { at: now, reason: revoked } : null,
      now,
    );
    if (issued) {
      await this.splitSheets.freeze(tx, issued, p.trackId);
      p.license = { id: issued };
      if (!revoked) {
        // the producer's and collaborators' shares, in the license's transaction
        await this.ledger.recordSale(tx, p.id, now);
        if (frozen) await this.ledger.setFrozen(tx, p.id, true, now);
      }
      await this.setStatus(tx, p, revoked ? 'refunded' : 'succeeded');
    } else if (p.refundedAt || lost) {
      await this.setStatus(tx, p, 'refunded');
    } else {
      await this.setStatus(tx, p, 'refunding');
      await this.jobs.enqueue(REFUND_JOB, { purchaseId: p.id }, { tx, singletonKey: p.id });
    }
  }

  /**
   * A refund asked for by the buyer (within LIMIT_REFUND_WINDOW_HOURS of paying, before any
   * download) or by an admin (any time, audited): claimed in the database (status `refunding`)
   * with its job, which makes the refund at Stripe (idempotency key per purchase); Stripe's
   * charge.refunded then revokes the license and voids the sale's legs. Checked in order:
   * purchase_not_found (not the buyer's), already_refunded, charge_disputed, refund_not_eligible
   * (never paid or no license), refund_window_expired, refund_not_eligible (downloaded).
   */
  async requestRefund(
    purchaseId: string,
    by: { buyerId: string } | { adminId: string; reason: string },
  ): Promise<PurchaseRow> {
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      const claim = await this.repo.claimRefund(
        tx,
        purchaseId,
        by,
        this.config.limits.refundWindowHours,
        now,
      );
      if (claim === 'not_found') throw new AppError(PurchaseErrors.purchaseNotFound);
      if (claim === 'already_refunded') throw new AppError(RefundErrors.alreadyRefunded);
      if (claim === 'disputed') throw new AppError(RefundErrors.chargeDisputed);
      if (claim === 'window_expired') throw new AppError(RefundErrors.refundWindowExpired);
      if (claim === 'not_eligible' || claim === 'downloaded')
        throw new AppError(RefundErrors.refundNotEligible);
      await this.jobs.enqueue(REFUND_JOB, { purchaseId }, { tx, singletonKey: purchaseId });
      // the sale's shares wait for the refund instead of leaving in a transfer meanwhile
      await this.ledger.setFrozen(tx, purchaseId, true, now);
      if ('adminId' in by) {
        await this.audit.record(tx, {
          actorId: by.adminId,
          action: 'purchase.refund',
          targetType: 'purchase',
          targetId: purchaseId,
          reason: by.reason,
          at: now,
        });
      }
      return claim.purchase;
    });
  }

  private async setStatus(tx: Tx, p: Purchase, status: Purchase['status']): Promise<void> {
    if (p.status === status) return;
    await this.repo.setPurchaseStatus(tx, p.id, status, this.clock.now());
    p.status = status;
    p.updatedAt = this.clock.now();
  }

  /** The queued refund: once per purchase, whatever the retries (Stripe's idempotency key). */
  private async refund(purchaseId: string): Promise<void> {
    const purchase = await this.repo.purchase(purchaseId);
    if (!purchase?.stripePaymentIntentId || purchase.refundedAt || purchase.status !== 'refunding') return;
    try {
      await this.stripe.api.refunds.create(
        {
          payment_intent: purchase.stripePaymentIntentId,
          reason: 'requested_by_customer',
          metadata: { purchase_id: purchaseId },
        },
        { idempotencyKey: `refund:${purchaseId}` },
      );
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError)) throw err;
      if (err.code !== 'charge_already_refunded') {
        // Stripe answered and refused (a 4xx: e.g. the charge is disputed meanwhile): a refund
        // someone asked for is withdrawn — the purchase is paid again, its shares unfrozen — and
        // the reason logged; anything else (no answer, 5xx, 429) is retried with the same key
        if (!refusedByStripe(err) || !purchase.refundRequestedAt || !purchase.license) throw err;
        this.logger.warn(
          `refund of purchase ${purchaseId} refused by Stripe (${err.code ?? err.type}): withdrawn`,
        );
        await this.repo.transaction(async (tx) => {
          if (await this.repo.withdrawRefund(tx, purchaseId, this.clock.now()))
            await this.ledger.setFrozen(
              tx,
              purchaseId,
              !!purchase.disputedAt && !purchase.disputeClosedAt,
              this.clock.now(),
            );
        });
        return;
      }
    }
    await this.repo.transaction(async (tx) => this.paymentRefunded(tx, purchase.stripePaymentIntentId!));
  }

  /** The payment of a purchase that is gone: refunded once (Stripe's idempotency key per intent). */
  private async refundOrphan(paymentIntentId: string): Promise<void> {
    if (await this.repo.purchaseByPaymentIntent(paymentIntentId)) return;
    try {
      await this.stripe.api.refunds.create(
        { payment_intent: paymentIntentId, reason: 'requested_by_customer' },
        { idempotencyKey: `refund-orphan:${paymentIntentId}` },
      );
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError && err.code === 'charge_already_refunded')) throw err;
    }
    this.logger.warn(`payment ${paymentIntentId} for a deleted purchase was refunded`);
  }
}
