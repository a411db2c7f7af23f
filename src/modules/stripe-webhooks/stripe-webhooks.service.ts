import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { stripeUnreachable } from '../../platform/payments/payment-errors';
import { idOf, isRecord } from '../../platform/payments/stripe-fields';
import { StripeClient } from '../../platform/payments/stripe.client';
import { SubscriptionsService } from '../billing/subscriptions.service';
import { EarningsService } from '../earnings/earnings.service';
import { Fulfilment } from '../licensing/fulfilment';
import { StripeWebhookErrors } from './stripe-webhooks.errors';
import { type EventEffect, StripeWebhooksRepository } from './stripe-webhooks.repository';

const TOLERANCE_SECONDS = 300;

/** The fields of an event we rely on, checked before anything else is done with it. */
interface VerifiedEvent {
  id: string;
  type: string;
  created: number;
  object: Record<string, unknown> & { id: string };
}

const malformed = (why: string) =>
  new AppError(GeneralErrors.badRequest, { message: `Malformed Stripe event: ${why}.` });
const unknownObject = (what: string) =>
  new AppError(GeneralErrors.badRequest, { message: `Unknown to Stripe or to us: ${what}.` });

/**
 * Stripe's events, verified and applied exactly once. A signed event is not trusted for its
 * content: the object it names is read again from Stripe (outside any transaction), and only
 * that state is applied (Stripe's guidance: fetch the object from the API). Objects Stripe or we
 * do not know, malformed events and timestamps from the future are refused with a 4xx and leave
 * no trace, so a later valid delivery still applies. The event id is recorded in the transaction
 * of its effect: a redelivery is a no-op and a failure (5xx, retried by Stripe) leaves nothing.
 */
@Injectable()
export class StripeWebhooksService {
  private readonly logger = new Logger(StripeWebhooksService.name);

  constructor(
    private readonly repo: StripeWebhooksRepository,
    private readonly stripe: StripeClient,
    private readonly fulfilment: Fulfilment,
    private readonly subscriptions: SubscriptionsService,
    private readonly earnings: EarningsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Checks Stripe-Signature against the endpoint's secret (STRIPE_WEBHOOK_SECRET, or
   * STRIPE_CONNECT_WEBHOOK_SECRET for Connect; none configured: every event is refused), within
   * 300 s of the application clock either way, then the event's shape.
   */
  verify(
    rawBody: Buffer | undefined,
    signature: string | undefined,
    endpoint: 'account' | 'connect' = 'account',
  ): VerifiedEvent {
    const secret =
      endpoint === 'connect' ? this.config.stripeConnectWebhookSecret : this.config.stripeWebhookSecret;
    if (!secret) {
      this.logger.warn(
        `Stripe webhook refused: ${endpoint === 'connect' ? 'STRIPE_CONNECT_WEBHOOK_SECRET' : 'STRIPE_WEBHOOK_SECRET'} is not set`,
      );
      throw new AppError(StripeWebhookErrors.signatureInvalid);
    }
    if (!rawBody || !signature) throw new AppError(StripeWebhookErrors.signatureInvalid);
    const nowSeconds = this.clock.nowMs() / 1000;
    const timestamp = Number(/(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(signature)?.[1]);
    // the SDK only refuses old timestamps; one from the future is as suspicious
    if (!Number.isFinite(timestamp) || timestamp > nowSeconds + TOLERANCE_SECONDS) {
      throw new AppError(StripeWebhookErrors.signatureInvalid);
    }
    let event: unknown;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        secret,
        TOLERANCE_SECONDS,
        undefined,
        this.clock.nowMs(), // the SDK takes milliseconds here
      );
    } catch (err) {
      if (err instanceof SyntaxError) throw malformed('not JSON');
      throw new AppError(StripeWebhookErrors.signatureInvalid);
    }
    return this.shape(event, nowSeconds);
  }

  private shape(event: unknown, nowSeconds: number): VerifiedEvent {
    if (!isRecord(event)) throw malformed('not an object');
    const { id, type, created, data } = event;
    if (typeof id !== 'string' || !id || id.length > 255) throw malformed('id');
    if (typeof type !== 'string' || !type || type.length > 255) throw malformed('type');
    if (typeof created !== 'number' || !Number.isSafeInteger(created) || created < 0)
      throw malformed('created');
    if (created > nowSeconds + TOLERANCE_SECONDS) throw malformed('created is in the future');
    if (!isRecord(data) || !isRecord(data.object)) throw malformed('data.object');
    const object = data.object;
    if (typeof object.id !== 'string' || !object.id || object.id.length > 255)
      throw malformed('data.object.id');
    return { id, type, created, object: object as VerifiedEvent['object'] };
  }

  /**
   * `connect`: the Connect endpoint, which Stripe sends connected accounts' events to; only their
   * account changes concern us there (anything else is acknowledged and recorded, never read).
   */
  async handle(
    event: VerifiedEvent,
    endpoint: 'account' | 'connect' = 'account',
  ): Promise<{ received: true; duplicate: boolean }> {
    if (await this.repo.seen(event.id)) return { received: true, duplicate: true };
    const effect =
      endpoint === 'connect' && event.type !== 'account.updated'
        ? ({ kind: 'ignore' } as const)
        : await this.effect(event);
    const applied = await this.repo.apply(event, this.clock.now(), effect);
    return { received: true, duplicate: !applied };
  }

  /** Reads what the event is about from Stripe (no transaction open) and decides its effect. */
  private async effect(event: VerifiedEvent): Promise<EventEffect> {
    const readAt = this.clock.now();
    switch (event.type) {
      case 'payment_intent.succeeded':
      case 'payment_intent.payment_failed': {
        const pi = await this.retrieve(() => this.stripe.api.paymentIntents.retrieve(event.object.id));
        if (!pi) throw unknownObject(`PaymentIntent ${event.object.id}`);
        const purchase = await this.fulfilment.purchaseOf(pi);
        if (!purchase) return { kind: 'ignore' }; // a payment of Stripe's that is not a purchase
        if (event.type === 'payment_intent.payment_failed') {
          const code = pi.last_payment_error?.code ?? 'payment_failed';
          return { kind: 'apply', run: (tx) => this.fulfilment.paymentFailed(tx, pi.id, code) };
        }
        if (pi.status !== 'succeeded')
          throw unknownObject(`a succeeded PaymentIntent ${pi.id} (it is ${pi.status})`);
        return { kind: 'apply', run: (tx) => this.fulfilment.paymentSucceeded(tx, pi.id) };
      }
      case 'charge.refunded': {
        const charge = await this.retrieve(() => this.stripe.api.charges.retrieve(event.object.id));
        if (!charge || !(charge.refunded || charge.amount_refunded > 0))
          throw unknownObject(`a refunded charge ${event.object.id}`);
        if (!charge.refunded) {
          // a partial refund (made in Stripe's dashboard): the license and the producers' shares
          // stand; the platform's support settles it (only a full refund revokes and voids)
          this.logger.warn(`charge ${charge.id} partly refunded (${charge.amount_refunded}): not applied`);
          return { kind: 'ignore' };
        }
        const pi = idOf(charge.payment_intent);
        if (!pi || !(await this.fulfilment.purchaseOfIntent(pi))) return { kind: 'ignore' };
        return { kind: 'apply', run: (tx) => this.fulfilment.paymentRefunded(tx, pi) };
      }
      case 'charge.dispute.created': {
        const dispute = await this.retrieve(() => this.stripe.api.disputes.retrieve(event.object.id));
        if (!dispute) throw unknownObject(`dispute ${event.object.id}`);
        const pi = idOf(dispute.payment_intent);
        if (!pi || !(await this.fulfilment.purchaseOfIntent(pi))) return { kind: 'ignore' };
        return { kind: 'apply', run: (tx) => this.fulfilment.paymentDisputed(tx, pi) };
      }
      case 'charge.dispute.closed': {
        const dispute = await this.retrieve(() => this.stripe.api.disputes.retrieve(event.object.id));
        if (!dispute) throw unknownObject(`dispute ${event.object.id}`);
        // what Stripe says now: won (or closed with a warning, or prevented) unfreezes, lost acts
        // as a refund
        const outcome = ['won', 'warning_closed', 'prevented'].includes(dispute.status)
          ? 'won'
          : dispute.status === 'lost'
            ? 'lost'
            : null;
        if (!outcome) throw unknownObject(`a closed dispute ${dispute.id} (it is ${dispute.status})`);
        const pi = idOf(dispute.payment_intent);
        if (!pi || !(await this.fulfilment.purchaseOfIntent(pi))) return { kind: 'ignore' };
        return { kind: 'apply', run: (tx) => this.fulfilment.disputeClosed(tx, pi, outcome) };
      }
      case 'account.updated': {
        const account = await this.retrieve(() => this.stripe.api.accounts.retrieve(event.object.id));
        if (!account) throw unknownObject(`account ${event.object.id}`);
        return { kind: 'apply', run: (tx) => this.earnings.applyAccount(tx, account, readAt) };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
      case 'invoice.payment_failed': {
        // an invoice only names the subscription: its state is read from Stripe like any other
        const subscriptionId =
          event.type === 'invoice.payment_failed'
            ? SubscriptionsService.invoiceSubscription(event.object)
            : event.object.id;
        if (!subscriptionId) throw unknownObject(`the subscription of invoice ${event.object.id}`);
        const sub = await this.subscriptions.fetch(subscriptionId);
        if (!sub) throw unknownObject(`subscription ${subscriptionId}`);
        return { kind: 'apply', run: (tx) => this.subscriptions.applySubscription(tx, sub, readAt) };
      }
      default:
        this.logger.debug(`Stripe event ${event.type} ignored`);
        return { kind: 'ignore' };
    }
  }

  /**
   * A Stripe object, or null when Stripe does not know it. Stripe out of reach is
   * payment_processing_error (a documented 5xx: Stripe delivers the event again); anything else
   * is thrown as it is.
   */
  private async retrieve<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError && err.statusCode === 404) return null;
      throw stripeUnreachable(err) ?? err;
    }
  }
}
