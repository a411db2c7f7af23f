import { Controller, Headers, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Access } from '../../platform/access/access.decorator';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { PaymentErrors } from '../../platform/payments/payments.errors';
import { NoRateLimit } from '../../platform/rate-limit/rate-limit.decorator';
import { StripeWebhookErrors } from './stripe-webhooks.errors';
import { StripeWebhooksService } from './stripe-webhooks.service';

@ApiTags('webhooks')
@Controller('webhooks')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @Access.anonymous({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({
    summary: 'Stripe events (signed): purchases fulfilled, refunded, disputed; subscriptions',
    description:
      "The raw body is verified against Stripe-Signature with STRIPE_WEBHOOK_SECRET, its timestamp within 300 s of now either way (stripe_signature_invalid; with no secret configured every event is refused so). A signed event is not trusted for its content: the object it names is read again from Stripe and only that state is applied — a payment_intent.succeeded fulfils only a PaymentIntent that Stripe reports `succeeded`, belonging to a purchase of ours with the same amount and currency; a subscription event applies the subscription as Stripe has it, and only the user's current subscription moves their plan. Malformed events (not an object, no `data.object`, `created` not a time in range or in the future) and objects Stripe or we do not know (a PaymentIntent or subscription Stripe does not have, a subscription of an unknown customer or none) → 400 bad_request, nothing recorded, so a later valid delivery still applies. PaymentIntents and charges Stripe has that are not purchases (e.g. a subscription invoice's payment) are acknowledged and ignored. Each event id takes effect once; any delivery order converges to the same state. Stripe out of reach while the object is read → 500 payment_processing_error, nothing recorded, so Stripe's next delivery applies it.",
  })
  @ApiErrors(
    StripeWebhookErrors.signatureInvalid,
    GeneralErrors.badRequest,
    PaymentErrors.paymentProcessingError,
  )
  receive(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Headers('stripe-signature') signature?: string,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.webhooks.handle(this.webhooks.verify(req.rawBody, signature));
  }

  @Post('stripe/connect')
  @HttpCode(HttpStatus.OK)
  @Access.anonymous({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({
    summary: 'Stripe Connect events (signed): payout accounts’ readiness (account.updated)',
    description:
      'The Connect endpoint’s events, verified like POST /webhooks/stripe but against STRIPE_CONNECT_WEBHOOK_SECRET (a Stripe key without it refuses to start). account.updated re-reads the account from Stripe and records whether it can receive transfers (charges_enabled, payouts_enabled, the transfers capability, requirements due, disabled reason); an account that is not one of ours is acknowledged and ignored, and so is every other event type (connected accounts’ own payments are not ours). Each event id takes effect once.',
  })
  @ApiErrors(
    StripeWebhookErrors.signatureInvalid,
    GeneralErrors.badRequest,
    PaymentErrors.paymentProcessingError,
  )
  receiveConnect(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Headers('stripe-signature') signature?: string,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.webhooks.handle(this.webhooks.verify(req.rawBody, signature, 'connect'), 'connect');
  }
}
