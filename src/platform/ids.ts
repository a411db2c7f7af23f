import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

let lastTime = 0;
let lastRandom: number[] = [];

/** 80 random bits as 16 base32 digits; within one millisecond, the previous value plus one. */
function randomPart(time: number): number[] {
  if (time === lastTime) {
    const next = [...lastRandom];
    for (let i = next.length - 1; i >= 0; i--) {
      if (next[i] < 31) {
        next[i]++;
        break;
      }
      next[i] = 0;
    }
    return (lastRandom = next);
  }
  lastTime = time;
  return (lastRandom = [...randomBytes(16)].map((b) => b % 32));
}

/**
 * Opaque, prefixed, time-ordered ids (`usr_01j…`): a monotonic ULID (48-bit millisecond time,
 * 80 random bits) in lower-case Crockford base32, so ids made in the same millisecond by this
 * process still sort in creation order. Clients must treat them as opaque strings.
 */
export function newId(prefix: string): string {
  let time = Date.now();
  const random = randomPart(time);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${out}${random.map((d) => ALPHABET[d]).join('')}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9a-hjkmnp-tv-z]{26}$/;
export const isWellFormedId = (value: string): boolean => ID_PATTERN.test(value);

/**
 * The smallest id of `prefix` made at `time` (epoch ms) or later: a lower bound for "ids made
 * since" queries on time-ordered ids.
 */
export function idFloor(prefix: string, time: number): string {
  let t = Math.max(0, Math.floor(time));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${out}${'0'.repeat(16)}`;
}
