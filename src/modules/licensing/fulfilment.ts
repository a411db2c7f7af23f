import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Purchase } from '@prisma/client';
import Stripe from 'stripe';
import { Clock } from '../../platform/clock/clock';
import { JobsService } from '../../platform/jobs/jobs.service';
import { StripeClient } from '../../platform/payments/stripe.client';
import type { Tx } from '../../platform/prisma/prisma.service';
import { LicensingRepository } from './licensing.repository';

const REFUND_JOB = 'purchase.refund';

/**
 * What a payment's facts mean for its purchase. Stripe tells us that a PaymentIntent succeeded,
 * was refunded or disputed — by the synchronous confirmation, by webhooks, in any order and any
 * number of times. Each fact is recorded on the purchase (under its row lock), then `settle`
 * derives the state from all facts known so far, so every order of arrival ends the same:
 *
 * - paid, no conflict → a license (revoked if the payment was refunded or disputed);
 * - paid, but the track's exclusive is sold or the buyer already holds that license → no
 *   license; a refund is queued (job, Stripe idempotency key per purchase: refunded once);
 * - refunded → purchase `refunded`.
 */
@Injectable()
export class Fulfilment implements OnModuleInit {
  constructor(
    private readonly repo: LicensingRepository,
    private readonly jobs: JobsService,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.jobs.register<{ purchaseId: string }>({
      name: REFUND_JOB,
      handler: (data) => this.refund(data.purchaseId),
      retryLimit: 10,
      retryDelay: 30,
    });
  }

  async paymentSucceeded(tx: Tx, paymentIntentId: string): Promise<void> {
    await this.record(tx, paymentIntentId, (p) => (p.paidAt ? null : { paidAt: this.clock.now() }));
  }

  async paymentRefunded(tx: Tx, paymentIntentId: string): Promise<void> {
    // a refund implies the payment succeeded, whether or not that event came first
    await this.record(tx, paymentIntentId, (p) =>
      p.refundedAt ? null : { refundedAt: this.clock.now(), paidAt: p.paidAt ?? this.clock.now() },
    );
  }

  async paymentDisputed(tx: Tx, paymentIntentId: string): Promise<void> {
    await this.record(tx, paymentIntentId, (p) =>
      p.disputedAt ? null : { disputedAt: this.clock.now(), paidAt: p.paidAt ?? this.clock.now() },
    );
  }

  async paymentFailed(tx: Tx, paymentIntentId: string, message: string): Promise<void> {
    const p = await this.repo.lockPurchaseByPaymentIntent(tx, paymentIntentId);
    if (p && !p.paidAt)
      await this.repo.updatePurchase(tx, p.id, { lastError: message, updatedAt: this.clock.now() });
  }

  private async record(
    tx: Tx,
    paymentIntentId: string,
    fact: (p: Purchase) => { paidAt?: Date; refundedAt?: Date; disputedAt?: Date } | null,
  ): Promise<void> {
    const purchase = await this.repo.lockPurchaseByPaymentIntent(tx, paymentIntentId);
    if (!purchase) return; // not a purchase of ours (e.g. a subscription invoice)
    const change = fact(purchase);
    if (change) {
      await this.repo.updatePurchase(tx, purchase.id, { ...change, updatedAt: this.clock.now() });
      Object.assign(purchase, change);
    }
    await this.settle(tx, purchase);
  }

  private async settle(tx: Tx, p: Purchase): Promise<void> {
    const now = this.clock.now();
    const revoked = p.refundedAt ? 'refunded' : p.disputedAt ? 'disputed' : null;
    const license = await this.repo.licenseByPurchase(p.id, tx);
    if (license) {
      if (revoked) await this.repo.revokeLicenses(tx, { id: license.id }, revoked, now);
      await this.setStatus(tx, p, p.refundedAt ? 'refunded' : 'succeeded');
      return;
    }
    if (!p.paidAt || p.status === 'refunding' || p.status === 'refunded') {
      if (p.status === 'refunding' && p.refundedAt) await this.setStatus(tx, p, 'refunded');
      return;
    }
    // Sales of one track take turns; the partial unique indexes are the last word.
    await this.repo.lockTrackSales(tx, p.trackId);
    const issued =
      !(await this.repo.hasActiveExclusive(p.trackId, tx)) &&
      (await this.repo.insertLicense(tx, {
        purchaseId: p.id,
        holderId: p.buyerId,
        trackId: p.trackId,
        type: p.licenseType,
        priceCents: p.priceCents,
        currency: p.currency,
        source: 'purchase',
        revoked: revoked ? { at: now, reason: revoked } : undefined,
        at: now,
      }));
    if (issued) {
      await this.setStatus(tx, p, p.refundedAt ? 'refunded' : 'succeeded');
    } else if (p.refundedAt) {
      await this.setStatus(tx, p, 'refunded');
    } else {
      await this.setStatus(tx, p, 'refunding');
      await this.jobs.enqueue(REFUND_JOB, { purchaseId: p.id }, { tx, singletonKey: p.id });
    }
  }

  private async setStatus(tx: Tx, p: Purchase, status: Purchase['status']): Promise<void> {
    if (p.status === status) return;
    await this.repo.updatePurchase(tx, p.id, { status, updatedAt: this.clock.now() });
    p.status = status;
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
      if (!(err instanceof Stripe.errors.StripeError && err.code === 'charge_already_refunded')) throw err;
    }
    await this.repo.transaction(async (tx) => this.paymentRefunded(tx, purchase.stripePaymentIntentId!));
  }
}
