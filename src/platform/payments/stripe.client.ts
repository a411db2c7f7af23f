import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../config/config';
import { AppError } from '../errors/app-error';
import { PaymentErrors } from './payments.errors';

/**
 * The configured Stripe SDK. STRIPE_API_BASE_URL points it at another host (a local
 * Stripe-compatible server in tests). With no STRIPE_SECRET_KEY nothing is sent: payments fail at
 * once with payment_initialization_failed.
 */
@Injectable()
export class StripeClient {
  private readonly client: Stripe | null;

  constructor(config: AppConfig) {
    if (!config.stripeSecretKey) {
      this.client = null;
      return;
    }
    const base = config.stripeApiBaseUrl ? new URL(config.stripeApiBaseUrl) : undefined;
    this.client = new Stripe(config.stripeSecretKey, {
      // 3 attempts of 8 s (and Stripe's short backoff) end before the 30 s request deadline, so a
      // hanging Stripe is answered payment_initialization_failed / payment_processing_error, not 504
      maxNetworkRetries: config.stripeMaxNetworkRetries,
      timeout: config.stripeTimeoutMs,
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'https:' ? 443 : 80),
            protocol: base.protocol.replace(':', '') as 'http' | 'https',
          }
        : {}),
    });
  }

  /** The SDK, or payment_initialization_failed when Stripe is not configured. */
  get api(): Stripe {
    if (!this.client)
      throw new AppError(PaymentErrors.paymentInitializationFailed, {
        message: 'Payments are not configured.',
      });
    return this.client;
  }

  /** For verifying webhook signatures (no API key is used by it). */
  readonly webhooks = Stripe.webhooks;
}
