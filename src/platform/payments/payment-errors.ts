import Stripe from 'stripe';
import { AppError, isAppError } from '../errors/app-error';
import { PaymentErrors } from './payments.errors';

/** invalid_card is for a card number that is wrong, per the catalogue; other refusals are payment_failed */
const INVALID_CARD_CODES = new Set(['incorrect_number', 'invalid_number']);

/**
 * Stripe's errors in the catalogue's words. `creating`: a failure to create the payment is
 * payment_initialization_failed; while confirming, Stripe being away is payment_processing_error.
 */
export function paymentError(err: unknown, phase: 'create' | 'confirm'): AppError {
  if (isAppError(err)) return err;
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new AppError(PaymentErrors.paymentProcessingError, {}, { cause: err });
  }
  const e = err;
  if (e instanceof Stripe.errors.StripeCardError || e.type === 'StripeCardError') {
    if (e.code === 'card_declined') {
      return new AppError(
        e.decline_code === 'insufficient_funds'
          ? PaymentErrors.insufficientFunds
          : PaymentErrors.cardDeclined,
      );
    }
    if (e.code === 'expired_card') return new AppError(PaymentErrors.expiredCard);
    if (e.code === 'processing_error') return new AppError(PaymentErrors.paymentProcessingError);
    if (e.code && INVALID_CARD_CODES.has(e.code)) return new AppError(PaymentErrors.invalidCard);
    return new AppError(PaymentErrors.paymentFailed);
  }
  if (e.type === 'StripeInvalidRequestError' && e.param?.includes('payment_method')) {
    return new AppError(PaymentErrors.invalidCard);
  }
  if (phase === 'create') return new AppError(PaymentErrors.paymentInitializationFailed, {}, { cause: err });
  if (
    e.type === 'StripeConnectionError' ||
    e.type === 'StripeAPIError' ||
    e.type === 'StripeRateLimitError'
  ) {
    return new AppError(PaymentErrors.paymentProcessingError, {}, { cause: err });
  }
  return new AppError(PaymentErrors.paymentFailed, {}, { cause: err });
}

/**
 * Stripe out of reach (a cut or timed-out connection, its 5xx, its rate limit) while reading an
 * object: payment_processing_error (the catalogue's "the Stripe API could not be reached"), so a
 * webhook is answered with a documented 5xx and Stripe delivers it again. Anything else: undefined.
 */
export function stripeUnreachable(err: unknown): AppError | undefined {
  if (!(err instanceof Stripe.errors.StripeError)) return undefined;
  if (
    err.type === 'StripeConnectionError' ||
    err.type === 'StripeAPIError' ||
    err.type === 'StripeRateLimitError' ||
    (err.statusCode ?? 0) >= 500
  ) {
    return new AppError(PaymentErrors.paymentProcessingError, {}, { cause: err });
  }
  return undefined;
}

/**
 * Stripe answered and refused (a 4xx that is not a rate limit or a concurrent-use conflict): what
 * was asked did not happen, and asking again with the same idempotency key would be refused
 * again. Everything else — no answer, a cut connection, a 5xx, 429, 409 — may have happened.
 */
export const refusedByStripe = (err: unknown): err is Stripe.errors.StripeError =>
  err instanceof Stripe.errors.StripeError &&
  typeof err.statusCode === 'number' &&
  err.statusCode >= 400 &&
  err.statusCode < 500 &&
  err.statusCode !== 429 &&
  err.statusCode !== 409;
