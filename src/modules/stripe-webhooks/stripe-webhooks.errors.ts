import { defineErrors } from '../../platform/errors/app-error';

export const StripeWebhookErrors = defineErrors('purchases', {
  signatureInvalid: {
    code: 'stripe_signature_invalid',
    status: 400,
    message: 'Webhook signature verification failed.',
    description: 'POST /webhooks/stripe with a missing, wrong or stale (>300 s) Stripe-Signature.',
  },
});
