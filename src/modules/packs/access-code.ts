import { createHmac } from 'node:crypto';
import { safeEqual } from '../../platform/crypto/secrets';

/**
 * Pack link access codes are kept as an HMAC-SHA256 keyed by the app secret (a key derived for
 * this use only) over the link id and the code, never the code: a copy of the database alone does
 * not let anyone test guesses offline. Not argon2: a code is typed by visitors on a public route
 * that anyone can call, where a memory-hard hash per attempt would hand out 19 MiB of work per
 * request; online guessing is bounded by the attempt budget instead. Compared in constant time.
 */
const key = (secret: string) => createHmac('sha256', secret).update('pack-access-code').digest();

export const hashAccessCode = (secret: string, linkId: string, code: string): string =>
  createHmac('sha256', key(secret)).update(`${linkId}\u0000${code}`).digest('base64url');

export const accessCodeMatches = (secret: string, linkId: string, code: string, stored: string): boolean =>
  safeEqual(hashAccessCode(secret, linkId, code), stored);
