import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

/**
 * Opaque, prefixed, roughly time-ordered ids (`usr_01j…`): a ULID (48-bit millisecond time,
 * 80 random bits) in lower-case Crockford base32. Clients must treat them as opaque strings.
 */
export function newId(prefix: string): string {
  let time = Date.now();
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  const rand = randomBytes(16);
  for (let i = 0; i < 16; i++) out += ALPHABET[rand[i] % 32];
  return `${prefix}_${out}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9a-hjkmnp-tv-z]{26}$/;
export const isWellFormedId = (value: string): boolean => ID_PATTERN.test(value);
