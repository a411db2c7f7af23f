import { defineErrors } from '../errors/app-error';

/**
 * What the payment provider said, in the catalogue's words. Raised for purchases and
 * subscriptions alike; grouped under `purchases` in the catalogue.
 */
export const PaymentErrors = defineErrors('purchases', {
  paymentFailed: {
    code: 'payment_failed',
    status: 402,
    message: 'Payment failed.',
    description: 'The payment provider refused the payment for a reason not covered by a more specific code.',
  },
  cardDeclined: {
    code: 'card_declined',
    status: 402,
    message: 'Card declined.',
    description: 'The issuer declined the card (Stripe card_declined).',
  },
  insufficientFunds: {
    code: 'insufficient_funds',
    status: 402,
    message: 'Insufficient funds.',
    description: 'Stripe card_declined with decline_code insufficient_funds.',
  },
  invalidCard: {
    code: 'invalid_card',
    status: 422,
    message: 'Invalid card.',
    description:
      'Card number invalid or payment method unusable (Stripe incorrect_number / invalid_number / unknown payment method).',
  },
  expiredCard: {
    code: 'expired_card',
    status: 422,
    message: 'Expired card.',
    description: 'Stripe expired_card.',
  },
  paymentProcessingError: {
    code: 'payment_processing_error',
    status: 500,
    message: 'Payment processing error. Retry in a moment.',
    description: 'Stripe processing_error, or the Stripe API could not be reached.',
  },
  paymentInitializationFailed: {
    code: 'payment_initialization_failed',
    status: 502,
    message: 'Payment initialization failed.',
    description: 'Creating the payment with Stripe failed on Stripe’s side (or Stripe is not configured).',
  },
});
