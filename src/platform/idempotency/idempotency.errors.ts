import { defineErrors } from '../errors/app-error';

export const IdempotencyErrors = defineErrors('idempotency', {
  keyTooLong: {
    code: 'idempotency_key_too_long',
    status: 400,
    message: 'Idempotency-Key must be ≤255 chars.',
    description: 'The Idempotency-Key header is longer than 255 characters (or empty).',
  },
  keyReused: {
    code: 'idempotency_key_reused',
    status: 400,
    message: 'Idempotency-Key was previously used with a different request body.',
    description:
      'Same key, same caller and endpoint, different body hash; or the retry of a completed request whose answer was a secret shown once (POST /me/access-tokens: the token is never kept for replays).',
  },
  requestInProgress: {
    code: 'idempotency_request_in_progress',
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed.',
    description: 'A retry arrives while the first request with the same key is still executing.',
  },
});
