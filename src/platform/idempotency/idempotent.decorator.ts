import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { REPLAY_SECRETS, type ReplaySecrets } from './replay-secrets';

/** OpenAPI: the secret members of the operation's response and what a replay answers instead. */
export const REPLAY_SECRETS_EXTENSION = 'x-idempotency-secrets';

export interface IdempotentOptions {
  /**
   * The route answers a secret (a token, a payment's client_secret): it is never stored for
   * replays (the stored copy is redacted), and a replay is refused or answers the resource read
   * again. Every member named like a secret in the response must be listed (a contract test walks
   * the OpenAPI document).
   */
  secrets?: ReplaySecrets;
}

const HEADER =
  'Up to 255 characters, unique per operation (a UUID). A key belongs to the caller, the method and this exact path (the same key on another resource is another key). Same key + same request (body, query string, uploaded files) within 24 h replays the first response with `Idempotent-Replayed: true`; a different body → 400 idempotency_key_reused; while the first is still running → 409 idempotency_request_in_progress. Validation failures and server errors are not stored.';

function secretHeader(secrets: ReplaySecrets): string {
  const fields = secrets.fields.map((f) => `\`${f}\``).join(', ');
  const replay =
    'refuse' in secrets.replay
      ? `a replay of a completed request is refused with 400 idempotency_key_reused (the secret was shown once)`
      : `a replay of a completed request answers the resource as it is now, with \`Idempotent-Replayed: true\` and ${fields} read again`;
  return `${HEADER} This response carries a secret (${fields}) that is never kept for replays: ${replay}; a stored error is replayed as usual.`;
}

/**
 * The route accepts an `Idempotency-Key` header: the same key and body within 24 h replay the
 * first response (with `Idempotent-Replayed: true`) instead of running again.
 */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ...(options.secrets
      ? [
          SetMetadata(REPLAY_SECRETS, options.secrets),
          ApiExtension(REPLAY_SECRETS_EXTENSION, {
            fields: options.secrets.fields,
            replay: 'refuse' in options.secrets.replay ? 'refused' : 'reread',
          }),
        ]
      : []),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: options.secrets ? secretHeader(options.secrets) : HEADER,
    }),
  );
