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

/** A credit on a track, as a sale reads it (split in basis points, acceptance). */
export interface SaleCredit {
  userId: string;
  bps: number;
  status: string;
}

/**
 * A sale's legs: `net` cents split by the credits in force (the owner first). A declined credit's
 * share is the owner's; a pending one's leg is held until accepted. No split recorded (all zero):
 * everything is the owner's. Legs of 0 cents are left out.
 */
export function saleLegs(
  net: number,
  ownerId: string,
  credits: readonly SaleCredit[],
): { userId: string; cents: number; bps: number; held: boolean }[] {
  const shares = new Map<string, Share & { held: boolean }>();
  shares.set(ownerId, { userId: ownerId, bps: 0, held: false });
  for (const c of credits) {
    const to = c.userId === ownerId || c.status === 'declined' ? ownerId : c.userId;
    const share = shares.get(to) ?? { userId: to, bps: 0, held: c.status === 'pending' };
    share.bps += c.bps;
    shares.set(to, share);
  }
  const list = [...shares.values()];
  if (list.every((s) => s.bps === 0)) list[0].bps = 10_000;
  // credits may add up to 100 % ± 0.01: each part is recorded as its share of their total
  const total = list.reduce((sum, s) => sum + s.bps, 0);
  return splitCents(net, list)
    .map((p, i) => ({
      userId: p.userId,
      cents: p.cents,
      bps: Math.min(10_000, Math.round((list[i].bps * 10_000) / total)),
      held: list[i].held,
    }))
    .filter((l) => l.cents > 0);
}
