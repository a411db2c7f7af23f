import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * The route accepts an `Idempotency-Key` header: the same key and body within 24 h replay the
 * first response (with `Idempotent-Replayed: true`) instead of running again.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Up to 255 characters, unique per operation (a UUID). A key belongs to the caller, the method and this exact path (the same key on another resource is another key). Same key + same request (body, query string, uploaded files) within 24 h replays the first response with `Idempotent-Replayed: true`; a different body → 400 idempotency_key_reused; while the first is still running → 409 idempotency_request_in_progress. Validation failures and server errors are not stored.',
    }),
  );
