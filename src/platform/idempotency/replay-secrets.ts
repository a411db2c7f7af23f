import type { Type } from '@nestjs/common';
import type { Principal } from '../access/principal';

/**
 * Secrets never go into the replay store (idempotency_keys keeps a response 24 h). A route that
 * answers one declares it on @Idempotent, with what a replay answers instead; whatever else looks
 * like a secret is redacted too (and logged as an undeclared secret: a route to fix).
 */

/** Metadata key of a route's ReplaySecrets (set by @Idempotent). */
export const REPLAY_SECRETS = 'idempotency:replay-secrets';

/** What a stored secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Names of members that carry a secret: credentials (token, access_token, refresh_token, api_key,
 * private_key), Stripe's client_secret and other *secret*, passwords, signatures. Not token_type,
 * token_cost or request_tokens_per_month (counts and kinds, not credentials).
 */
export const SECRET_KEY = /secret|password|passphrase|(?:token|api_?key|private_?key|signature)$/i;

/** Re-reads what a replay answers, its secret included, instead of a stored copy. */
export interface ReplayReader {
  /** `first` is the first response as stored: its secrets redacted, its ids intact. */
  reread(principal: Principal, first: Readonly<Record<string, unknown>>): Promise<unknown>;
}

export type SecretReplay =
  /** refuse the replay: idempotency_key_reused, with this message (what to do instead) */
  | { refuse: string }
  /** answer the resource as it is now, read again by this provider (where that is safe) */
  | { reread: Type<ReplayReader> };

export interface ReplaySecrets {
  /** response members (at any depth) that carry the secret */
  fields: readonly string[];
  replay: SecretReplay;
}

export interface Redacted {
  body: unknown;
  /** paths of secret-like members the route did not declare (redacted all the same) */
  undeclared: string[];
}

/**
 * A copy of `body` fit for the replay store: every declared field and every member whose name
 * looks like a secret has its value replaced by REDACTED (null and absent values stay as they are).
 */
export function redactSecrets(body: unknown, declared: readonly string[] = []): Redacted {
  const undeclared: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const at = path ? `${path}.${key}` : key;
      const isDeclared = declared.includes(key);
      if ((isDeclared || SECRET_KEY.test(key)) && v !== null && v !== undefined) {
        if (!isDeclared) undeclared.push(at);
        out[key] = REDACTED;
      } else {
        out[key] = walk(v, at);
      }
    }
    return out;
  };
  return { body: walk(body, ''), undeclared };
}

/** Paths of secret-like members that hold a value other than REDACTED: the replay store's check. */
export function unredactedSecrets(body: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    if (!value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const at = path ? `${path}.${key}` : key;
      if (SECRET_KEY.test(key) && v !== null && v !== undefined && v !== REDACTED) found.push(at);
      else walk(v, at);
    }
  };
  walk(body, '');
  return found;
}
