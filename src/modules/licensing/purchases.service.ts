import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { paymentError } from '../../platform/payments/payment-errors';
import { StripeClient } from '../../platform/payments/stripe.client';
import { trackAccess } from '../tracks/track-access';
import type { CreatePurchaseDto, PurchaseDto } from './dto/licensing.dto';
import { Fulfilment } from './fulfilment';
import { PurchaseErrors } from './licensing.errors';
import { LicensingRepository, PurchaseRow } from './licensing.repository';
import { platformFee } from './offers.service';
import { purchaseAccess } from './purchase-access';

const toPurchaseDto = (p: PurchaseRow): PurchaseDto => ({
  id: p.id,
  track_id: p.trackId,
  license_type: p.licenseType,
  status: p.status,
  price_cents: p.priceCents,
  platform_fee_cents: p.platformFeeCents,
  amount_cents: p.amountCents,
  currency: p.currency,
  client_secret: p.status === 'requires_payment' ? p.clientSecret : null,
  last_error: p.lastError,
  license_id: p.license?.id ?? null,
  expires_at: p.expiresAt.toISOString(),
  created_at: p.createdAt.toISOString(),
  refund_requested_at: p.refundRequestedAt?.toISOString() ?? null,
  dispute_status: p.disputedAt ? (p.disputeOutcome ?? 'open') : null,
});

@Injectable()
export class PurchasesService {
  constructor(
    private readonly repo: LicensingRepository,
    private readonly fulfilment: Fulfilment,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Starts a checkout: a Stripe PaymentIntent for price + platform fee, with the price
   * snapshotted. Checks, in this order: track_not_found, cannot_purchase_own_track,
   * exclusive_already_sold, track_not_for_sale, already_purchased, price_changed.
   */
  async create(principal: Principal, dto: CreatePurchaseDto): Promise<PurchaseDto> {
    // one read for every check, made in the documented order
    const context = await this.repo.purchaseContext(principal.userId, dto.track_id, dto.license_type);
    const track = trackAccess.assert(principal, 'see', context?.track);
    if (trackAccess.can(principal, 'credited', track))
      throw new AppError(PurchaseErrors.cannotPurchaseOwnTrack);
    if (context!.exclusiveSold) throw new AppError(PurchaseErrors.exclusiveAlreadySold);
    const offer = track.source === 'upload' ? context!.offer : null;
    if (!offer) throw new AppError(PurchaseErrors.trackNotForSale);
    if (context!.owned) throw new AppError(PurchaseErrors.alreadyPurchased);
    if (offer.priceCents !== dto.expected_price_cents) {
      throw new AppError(PurchaseErrors.priceChanged, {
        context: { current_price_cents: offer.priceCents, currency: offer.currency },
      });
    }

    const now = this.clock.now();
    const purchase = await this.repo.createPurchase({
      buyerId: principal.userId,
      trackId: track.id,
      type: offer.type,
      priceCents: offer.priceCents,
      feeCents: platformFee(offer.priceCents, this.config.limits.platformFeeBps),
      currency: offer.currency,
      expiresAt: addSeconds(now, this.config.limits.checkoutSeconds),
      at: now,
    });
    let created: PurchaseRow;
    try {
      const intent = await this.stripe.api.paymentIntents.create(
        {
          amount: purchase.amountCents,
          currency: purchase.currency,
          metadata: { purchase_id: purchase.id, track_id: track.id, license_type: offer.type },
        },
        { idempotencyKey: `purchase:${purchase.id}:create` },
      );
      created = await this.repo.attachPaymentIntent(purchase.id, intent.id, intent.client_secret ?? '', now);
    } catch (err) {
      await this.repo.discardPurchase(purchase.id);
      throw paymentError(err, 'create');
    }
    await this.fulfilment.scheduleExpiry(purchase.id, this.config.limits.checkoutSeconds);
    return toPurchaseDto(created);
  }

  /**
   * Confirms the PaymentIntent with a payment method, server-side, and fulfils at once when it
   * succeeds (the webhook that follows is then a no-op). Confirming a paid purchase again
   * answers its state; after the checkout window it is checkout_expired.
   */
  async confirm(principal: Principal, id: string, paymentMethod: string): Promise<PurchaseDto> {
    const purchase = await this.mine(principal, id, 'confirm');
    if (purchase.status !== 'requires_payment' && purchase.status !== 'expired')
      return toPurchaseDto(purchase);
    if (purchase.status === 'expired' || purchase.expiresAt <= this.clock.now()) {
      await this.fulfilment.expire(purchase.id);
      throw new AppError(PurchaseErrors.checkoutExpired);
    }
    let status: string;
    try {
      const intent = await this.stripe.api.paymentIntents.confirm(
        purchase.stripePaymentIntentId!,
        { payment_method: paymentMethod },
        { idempotencyKey: `purchase:${purchase.id}:confirm:${paymentMethod}` },
      );
      status = intent.status;
    } catch (err) {
      const appError = paymentError(err, 'confirm');
      await this.repo.recordPaymentError(purchase.id, appError.code, this.clock.now());
      throw appError;
    }
    if (status === 'succeeded') {
      // the transaction hands back the purchase as it left it: no second read
      const settled = await this.repo.transaction((tx) =>
        this.fulfilment.paymentSucceeded(tx, purchase.stripePaymentIntentId!),
      );
      if (settled) return toPurchaseDto(settled);
    }
    return toPurchaseDto((await this.repo.purchase(purchase.id))!);
  }

  /** A checkout past its window reads as `expired` (and its PaymentIntent is canceled). */
  async get(principal: Principal, id: string): Promise<PurchaseDto> {
    const purchase = await this.mine(principal, id, 'read');
    if (purchase.status === 'requires_payment' && purchase.expiresAt <= this.clock.now()) {
      await this.fulfilment.expire(purchase.id);
      return toPurchaseDto((await this.repo.purchase(purchase.id))!);
    }
    return toPurchaseDto(purchase);
  }

  async list(principal: Principal, query: PageQueryDto): Promise<Page<PurchaseDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.purchases(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(purchaseAccess.filter(principal, 'read', rows), limit, byCreation, toPurchaseDto);
  }

  /** The buyer asks for their money back (Fulfilment.requestRefund has the rules). */
  async requestRefund(principal: Principal, id: string): Promise<PurchaseDto> {
    return toPurchaseDto(await this.fulfilment.requestRefund(id, { buyerId: principal.userId }));
  }

  /** An admin refunds any purchase, with a reason (audited). */
  async adminRefund(actor: Principal, id: string, reason: string): Promise<PurchaseDto> {
    return toPurchaseDto(await this.fulfilment.requestRefund(id, { adminId: actor.userId, reason }));
  }

  /** The purchase if the caller may do `action` to it (a checkout still being created is not one yet). */
  private async mine(principal: Principal, id: string, action: 'read' | 'confirm'): Promise<PurchaseRow> {
    const purchase = await this.repo.purchase(id);
    return purchaseAccess.assert(principal, action, purchase?.stripePaymentIntentId ? purchase : null);
  }
}
