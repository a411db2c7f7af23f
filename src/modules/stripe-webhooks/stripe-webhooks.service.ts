import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { StripeClient } from '../../platform/payments/stripe.client';
import { SubscriptionsService } from '../billing/subscriptions.service';
import { Fulfilment } from '../licensing/fulfilment';
import { StripeWebhookErrors } from './stripe-webhooks.errors';
import { StripeWebhooksRepository } from './stripe-webhooks.repository';

const TOLERANCE_SECONDS = 300;

const paymentIntentOf = (o: { payment_intent?: string | { id: string } | null }) =>
  typeof o.payment_intent === 'string' ? o.payment_intent : (o.payment_intent?.id ?? null);

/**
 * Stripe's events, verified and applied exactly once: the event id is recorded in the same
 * transaction as its effect, so a redelivery is a no-op and a failure (answered 5xx, retried by
 * Stripe) leaves no trace. Each handler is idempotent and order-independent on its own (see
 * Fulfilment and SubscriptionsService), so any delivery order converges.
 */
@Injectable()
export class StripeWebhooksService {
  private readonly logger = new Logger(StripeWebhooksService.name);

  constructor(
    private readonly repo: StripeWebhooksRepository,
    private readonly stripe: StripeClient,
    private readonly fulfilment: Fulfilment,
    private readonly subscriptions: SubscriptionsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (!rawBody || !signature) throw new AppError(StripeWebhookErrors.signatureInvalid);
    try {
      return this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        this.config.stripeWebhookSecret,
        TOLERANCE_SECONDS,
        undefined,
        this.clock.nowMs(), // the SDK takes milliseconds here
      );
    } catch {
      throw new AppError(StripeWebhookErrors.signatureInvalid);
    }
  }

  async handle(event: Stripe.Event): Promise<{ received: true; duplicate: boolean }> {
    const duplicate = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.record(tx, event.id, event.type, this.clock.now()))) return true;
      const eventAt = new Date(event.created * 1000);
      switch (event.type) {
        case 'payment_intent.succeeded':
          await this.fulfilment.paymentSucceeded(tx, event.data.object.id);
          break;
        case 'payment_intent.payment_failed':
          await this.fulfilment.paymentFailed(
            tx,
            event.data.object.id,
            event.data.object.last_payment_error?.code ?? 'payment_failed',
          );
          break;
        case 'charge.refunded': {
          const pi = paymentIntentOf(event.data.object);
          if (pi) await this.fulfilment.paymentRefunded(tx, pi);
          break;
        }
        case 'charge.dispute.created': {
          const pi = paymentIntentOf(event.data.object);
          if (pi) await this.fulfilment.paymentDisputed(tx, pi);
          break;
        }
        case 'customer.subscription.created':
        case 'customer.subscription.updated':
        case 'customer.subscription.deleted':
          await this.subscriptions.applySubscriptionEvent(
            tx,
            event.data.object,
            eventAt,
            event.type.endsWith('deleted'),
          );
          break;
        case 'invoice.payment_failed':
          await this.subscriptions.applyInvoiceFailed(tx, event.data.object, eventAt);
          break;
        default:
          this.logger.debug(`Stripe event ${event.type} ignored`);
      }
      return false;
    });
    return { received: true, duplicate };
  }
}
