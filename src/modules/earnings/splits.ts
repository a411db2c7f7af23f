/** A credited person's part of a sale, in hundredths of a percent (basis points). */
export interface Share {
  userId: string;
  bps: number;
}

/**
 * Splits `cents` by `shares` (basis points adding up to 10,000) so that the parts add up to the
 * cent: each gets the floor of its exact part, and the cents left over go one each to the largest
 * remainders (ties: the order given, the owner first). Shares of 0 get 0.
 */
export function splitCents(cents: number, shares: readonly Share[]): { userId: string; cents: number }[] {
  const total = shares.reduce((sum, s) => sum + s.bps, 0);
  if (!Number.isSafeInteger(cents) || cents < 0)
    throw new RangeError(`cents must be a whole amount: ${cents}`);
  if (total <= 0) throw new RangeError('shares must add up to more than 0');
  const parts = shares.map((s, index) => {
    const exact = cents * s.bps;
    return { userId: s.userId, cents: Math.floor(exact / total), remainder: exact % total, index };
  });
  let left = cents - parts.reduce((sum, p) => sum + p.cents, 0);
  for (const p of [...parts].sort((a, b) => b.remainder - a.remainder || a.index - b.index)) {
    if (left === 0) break;
    p.cents++;
    left--;
  }
  return parts.map(({ userId, cents: c }) => ({ userId, cents: c }));
}
