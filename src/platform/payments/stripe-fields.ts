/**
 * Reading Stripe objects as they arrive, without casts: a webhook event's body (untyped JSON) and
 * the fields an older API version sent that this SDK's types no longer declare (a subscription's
 * `current_period_end`, an invoice's `subscription`, both moved in API 2025-03-31).
 */

/** A JSON object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The member `key` of `from` when `from` is an object; undefined otherwise. */
export const fieldOf = (from: unknown, key: string): unknown => (isRecord(from) ? from[key] : undefined);

/** The id of a reference that Stripe sends either as an id or as the expanded object (null: none). */
export function idOf(ref: unknown): string | null {
  const id = typeof ref === 'string' ? ref : fieldOf(ref, 'id');
  return typeof id === 'string' && id ? id : null;
}
